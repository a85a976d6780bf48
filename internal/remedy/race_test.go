//go:build race

package remedy

// raceEnabled makes the exhaustive corpus tests sample their inputs: the
// race detector slows them down about thirtyfold.
const raceEnabled = true
