package pypi

import (
	"strings"
	"time"
)

// Project is a /pypi/NAME/json (or /pypi/NAME/VERSION/json) response.
type Project struct {
	Info            Info              `json:"info"`
	Releases        map[string][]File `json:"releases,omitempty"` // absent in per-version responses
	URLs            []File            `json:"urls,omitempty"`     // files of Info.Version
	LastSerial      int64             `json:"last_serial,omitempty"`
	Vulnerabilities []Vulnerability   `json:"vulnerabilities,omitempty"`
	Ownership       *Ownership        `json:"ownership,omitempty"`
}

// Info is the "info" object of a JSON API response: the metadata of the latest
// (or the requested) release.
type Info struct {
	Name              string            `json:"name"`
	Version           string            `json:"version"`
	Summary           string            `json:"summary"`
	Description       string            `json:"description,omitempty"`
	Author            string            `json:"author,omitempty"`
	AuthorEmail       string            `json:"author_email,omitempty"`
	Maintainer        string            `json:"maintainer,omitempty"`
	MaintainerEmail   string            `json:"maintainer_email,omitempty"`
	License           string            `json:"license"`
	LicenseExpression string            `json:"license_expression,omitempty"` // PEP 639
	LicenseFiles      []string          `json:"license_files,omitempty"`
	Classifiers       []string          `json:"classifiers"`
	Keywords          string            `json:"keywords,omitempty"`
	HomePage          string            `json:"home_page,omitempty"`
	ProjectURL        string            `json:"project_url,omitempty"`
	ProjectURLs       map[string]string `json:"project_urls,omitempty"`
	RequiresDist      []string          `json:"requires_dist"`
	RequiresPython    string            `json:"requires_python,omitempty"`
	Yanked            bool              `json:"yanked"`
	YankedReason      string            `json:"yanked_reason,omitempty"`
}

// File is one distribution file of a release.
type File struct {
	Filename       string            `json:"filename"`
	URL            string            `json:"url"`
	PackageType    string            `json:"packagetype,omitempty"` // "bdist_wheel", "sdist", ...
	PythonVersion  string            `json:"python_version,omitempty"`
	RequiresPython string            `json:"requires_python,omitempty"`
	Size           int64             `json:"size"`
	Digests        map[string]string `json:"digests,omitempty"`
	UploadTime     string            `json:"upload_time_iso_8601,omitempty"`
	UploadTimeRaw  string            `json:"upload_time,omitempty"`
	Yanked         bool              `json:"yanked"`
	YankedReason   string            `json:"yanked_reason,omitempty"`
}

// Uploaded returns the upload time of the file, or the zero time when it is unknown.
func (f *File) Uploaded() time.Time {
	for _, s := range []string{f.UploadTime, f.UploadTimeRaw} {
		if t, ok := parseTime(s); ok {
			return t
		}
	}
	return time.Time{}
}

// Vulnerability is one entry of the JSON API's "vulnerabilities" list.
type Vulnerability struct {
	ID        string   `json:"id"`
	Aliases   []string `json:"aliases,omitempty"`
	Link      string   `json:"link,omitempty"`
	Source    string   `json:"source,omitempty"`
	Summary   string   `json:"summary,omitempty"`
	FixedIn   []string `json:"fixed_in,omitempty"`
	Withdrawn *string  `json:"withdrawn,omitempty"`
}

// Ownership lists the organization and roles PyPI reports for a project.
type Ownership struct {
	Organization *string `json:"organization"`
	Roles        []struct {
		Role string `json:"role"`
		User string `json:"user"`
	} `json:"roles"`
}

// Release summarizes one version of a project.
type Release struct {
	Version      string
	Files        []File
	Uploaded     time.Time // earliest upload time of its files (zero when unknown)
	Yanked       bool      // every file is yanked
	YankedReason string
	Size         int64 // size of the largest file
}

// ReleaseList returns the releases that have at least one file, in no particular order.
func (p *Project) ReleaseList() []Release {
	out := make([]Release, 0, len(p.Releases))
	for v, files := range p.Releases {
		if len(files) == 0 {
			continue
		}
		out = append(out, summarize(v, files))
	}
	return out
}

// FilesOf returns the files of version v (from Releases, or URLs for a per-version response).
func (p *Project) FilesOf(v string) ([]File, bool) {
	if fs, ok := p.Releases[v]; ok {
		return fs, true
	}
	if p.Info.Version == v && p.URLs != nil {
		return p.URLs, true
	}
	return nil, false
}

func summarize(v string, files []File) Release {
	r := Release{Version: v, Files: files, Yanked: len(files) > 0}
	for i := range files {
		f := &files[i]
		if t := f.Uploaded(); !t.IsZero() && (r.Uploaded.IsZero() || t.Before(r.Uploaded)) {
			r.Uploaded = t
		}
		if !f.Yanked {
			r.Yanked = false
		} else if r.YankedReason == "" {
			r.YankedReason = f.YankedReason
		}
		if f.Size > r.Size {
			r.Size = f.Size
		}
	}
	if !r.Yanked {
		r.YankedReason = ""
	}
	return r
}

func parseTime(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, false
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999", "2006-01-02T15:04:05", "2006-01-02 15:04:05"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

// SimplePage is a project page of the Simple API, from PEP 691 JSON or PEP 503 HTML.
type SimplePage struct {
	Name          string       `json:"name"`
	Versions      []string     `json:"versions,omitempty"` // PEP 700; empty for HTML pages
	Files         []SimpleFile `json:"files"`
	ProjectStatus string       `json:"project_status,omitempty"` // PEP 792: active, archived, quarantined, deprecated
	StatusReason  string       `json:"project_status_reason,omitempty"`
	APIVersion    string       `json:"api_version,omitempty"`
	Serial        int64        `json:"serial,omitempty"` // PyPI's serial (the HTML comment or X-PyPI-Last-Serial)
}

// SimpleFile is one file link of a Simple API page.
type SimpleFile struct {
	Filename       string            `json:"filename"`
	URL            string            `json:"url"` // absolute, resolved against the page URL
	Hashes         map[string]string `json:"hashes,omitempty"`
	RequiresPython string            `json:"requires_python,omitempty"`
	Yanked         bool              `json:"yanked"`
	YankedReason   string            `json:"yanked_reason,omitempty"`
	// CoreMetadata is true when the index serves FILE.metadata (PEP 658/714);
	// MetadataHashes holds its hashes when given.
	CoreMetadata   bool              `json:"core_metadata,omitempty"`
	MetadataHashes map[string]string `json:"metadata_hashes,omitempty"`
	Size           int64             `json:"size,omitempty"`
	UploadTime     string            `json:"upload_time,omitempty"`
}
