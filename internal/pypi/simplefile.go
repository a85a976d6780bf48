package pypi

import "time"

// Uploaded returns the upload time of the file (PEP 700 "upload-time"), or
// the zero time when the index does not say.
func (f *SimpleFile) Uploaded() time.Time {
	t, _ := parseTime(f.UploadTime)
	return t
}
