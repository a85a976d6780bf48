package pypi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"golang.org/x/net/html"
)

// Media types of the Simple API (PEP 691).
const (
	mediaSimpleJSON = "application/vnd.pypi.simple.v1+json"
	mediaSimpleHTML = "application/vnd.pypi.simple.v1+html"
	// acceptSimple prefers JSON and falls back to HTML, as PEP 691 recommends.
	acceptSimple = mediaSimpleJSON + ", " + mediaSimpleHTML + ";q=0.2, text/html;q=0.01"
)

type simpleJSON struct {
	Meta struct {
		APIVersion string `json:"api-version"`
		LastSerial int64  `json:"_last-serial"`
	} `json:"meta"`
	Name          string   `json:"name"`
	Versions      []string `json:"versions"`
	ProjectStatus *struct {
		Status string `json:"status"`
		Reason string `json:"reason"`
	} `json:"project-status"`
	Files []struct {
		Filename         string            `json:"filename"`
		URL              string            `json:"url"`
		Hashes           map[string]string `json:"hashes"`
		RequiresPython   *string           `json:"requires-python"`
		Yanked           json.RawMessage   `json:"yanked"`
		CoreMetadata     json.RawMessage   `json:"core-metadata"`
		DistInfoMetadata json.RawMessage   `json:"dist-info-metadata"`
		Size             int64             `json:"size"`
		UploadTime       string            `json:"upload-time"`
	} `json:"files"`
}

// ParseSimpleJSON parses a PEP 691 JSON project page; relative file URLs are
// resolved against base. name is used in error messages (a file name or URL).
func ParseSimpleJSON(data []byte, base *url.URL, name string) (*SimplePage, error) {
	var raw simpleJSON
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, fmt.Errorf("%s: not a PEP 691 JSON page: %w", name, err)
	}
	if raw.Meta.APIVersion != "" && !strings.HasPrefix(raw.Meta.APIVersion, "1.") {
		return nil, fmt.Errorf("%s: unsupported Simple API version %q", name, raw.Meta.APIVersion)
	}
	p := &SimplePage{Name: raw.Name, Versions: raw.Versions, APIVersion: raw.Meta.APIVersion, Serial: raw.Meta.LastSerial}
	if raw.ProjectStatus != nil {
		p.ProjectStatus, p.StatusReason = raw.ProjectStatus.Status, raw.ProjectStatus.Reason
	}
	for _, f := range raw.Files {
		sf := SimpleFile{Filename: f.Filename, URL: resolve(base, f.URL), Hashes: f.Hashes, Size: f.Size, UploadTime: f.UploadTime}
		if f.RequiresPython != nil {
			sf.RequiresPython = *f.RequiresPython
		}
		sf.Yanked, sf.YankedReason = boolOrString(f.Yanked)
		md := f.CoreMetadata
		if len(md) == 0 {
			md = f.DistInfoMetadata
		}
		sf.CoreMetadata, sf.MetadataHashes = boolOrHashes(md)
		if sf.Filename == "" {
			sf.Filename = fileNameOf(sf.URL)
		}
		p.Files = append(p.Files, sf)
	}
	return p, nil
}

// boolOrString decodes PEP 691's "yanked": false, true or a reason string.
func boolOrString(m json.RawMessage) (bool, string) {
	var b bool
	if json.Unmarshal(m, &b) == nil {
		return b, ""
	}
	var s string
	if json.Unmarshal(m, &s) == nil {
		return true, s
	}
	return false, ""
}

// boolOrHashes decodes "core-metadata": false, true or a hash dictionary.
func boolOrHashes(m json.RawMessage) (bool, map[string]string) {
	var b bool
	if json.Unmarshal(m, &b) == nil {
		return b, nil
	}
	var h map[string]string
	if json.Unmarshal(m, &h) == nil && h != nil {
		return true, h
	}
	return false, nil
}

var serialComment = regexp.MustCompile(`SERIAL (\d+)`)

// ParseSimpleHTML parses a PEP 503 HTML project page (with the PEP 592 yanked,
// PEP 503 requires-python and PEP 658/714 metadata attributes). Relative links
// are resolved against base (and a <base href> in the page).
func ParseSimpleHTML(data []byte, base *url.URL, name string) (*SimplePage, error) {
	doc, err := html.Parse(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("%s: not an HTML page: %w", name, err)
	}
	p := &SimplePage{}
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		switch {
		case n.Type == html.CommentNode:
			if m := serialComment.FindStringSubmatch(n.Data); m != nil {
				p.Serial, _ = strconv.ParseInt(m[1], 10, 64)
			}
		case n.Type == html.ElementNode && n.Data == "meta":
			if attr(n, "name") == "pypi:repository-version" {
				p.APIVersion = attr(n, "content")
			}
			if attr(n, "name") == "pypi:project-status" {
				p.ProjectStatus = attr(n, "content")
			}
		case n.Type == html.ElementNode && n.Data == "base":
			if h, ok := hasAttr(n, "href"); ok && base != nil {
				if u, err := base.Parse(h); err == nil {
					base = u
				}
			}
		case n.Type == html.ElementNode && n.Data == "a":
			if f, ok := anchorFile(n, base); ok {
				p.Files = append(p.Files, f)
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	return p, nil
}

func anchorFile(n *html.Node, base *url.URL) (SimpleFile, bool) {
	href, ok := hasAttr(n, "href")
	if !ok || strings.TrimSpace(href) == "" {
		return SimpleFile{}, false
	}
	full := resolve(base, strings.TrimSpace(href))
	f := SimpleFile{URL: full, RequiresPython: attr(n, "data-requires-python")}
	if u, err := url.Parse(full); err == nil && u.Fragment != "" {
		if algo, hexd, ok := strings.Cut(u.Fragment, "="); ok {
			f.Hashes = map[string]string{algo: hexd}
		}
		u.Fragment = ""
		f.URL = u.String()
	}
	f.Filename = strings.TrimSpace(text(n))
	if f.Filename == "" || strings.ContainsAny(f.Filename, "/\\") {
		f.Filename = fileNameOf(f.URL)
	}
	if r, ok := hasAttr(n, "data-yanked"); ok {
		f.Yanked, f.YankedReason = true, r
	}
	for _, a := range []string{"data-core-metadata", "data-dist-info-metadata"} {
		if v, ok := hasAttr(n, a); ok {
			f.CoreMetadata = v != "false"
			if algo, hexd, ok := strings.Cut(v, "="); ok {
				f.MetadataHashes = map[string]string{algo: hexd}
			}
			break
		}
	}
	return f, true
}

func hasAttr(n *html.Node, key string) (string, bool) {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val, true
		}
	}
	return "", false
}

func attr(n *html.Node, key string) string { v, _ := hasAttr(n, key); return v }

func text(n *html.Node) string {
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return b.String()
}

func resolve(base *url.URL, ref string) string {
	if base == nil {
		return ref
	}
	u, err := base.Parse(ref)
	if err != nil {
		return ref
	}
	return u.String()
}

func fileNameOf(u string) string {
	if p, err := url.Parse(u); err == nil {
		u = p.Path
	}
	if i := strings.LastIndex(u, "/"); i >= 0 {
		u = u[i+1:]
	}
	return u
}

// ParseSimple parses a Simple API page by its Content-Type: PEP 691 JSON or HTML.
func ParseSimple(contentType string, data []byte, base *url.URL, name string) (*SimplePage, error) {
	ct := strings.ToLower(contentType)
	if strings.Contains(ct, "json") {
		return ParseSimpleJSON(data, base, name)
	}
	if ct == "" && len(bytes.TrimSpace(data)) > 0 && bytes.TrimSpace(data)[0] == '{' {
		return ParseSimpleJSON(data, base, name)
	}
	return ParseSimpleHTML(data, base, name)
}
