//go:build !unix

package advisory

import "os"

// mapFile reports that mapping is unavailable: the caller reads the file.
func mapFile(f *os.File, size int64) (data []byte, unmap func() error, ok bool) {
	return nil, nil, false
}
