//go:build !race

package remedy

const raceEnabled = false
