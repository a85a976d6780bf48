//go:build race

package sbom

// raceEnabled makes the exhaustive corpus tests sample their inputs: the
// race detector slows them down about thirtyfold.
const raceEnabled = true
