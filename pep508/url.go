package pep508

import (
	"errors"
	"fmt"
	"net/netip"
	"regexp"
	"strings"
)

// urlParts is the result of Python's urllib.parse.urlparse.
type urlParts struct {
	scheme, netloc, path, params, query, fragment string
}

var (
	errIPv6URL      = errors.New("invalid IPv6 URL")
	ipvFutureRegexp = regexp.MustCompile(`\Av[a-fA-F0-9]+\..+\z`)
)

func isSchemeChar(c byte) bool {
	return isIdentByte(c) || c == '+' || c == '-' || c == '.'
}

// pyURLParse mirrors urllib.parse.urlparse of Python 3.11 (including its
// stripping of leading C0 controls and removal of tab, CR and LF), with the
// ValueErrors it raises for malformed bracketed hosts.
func pyURLParse(url string) (urlParts, error) {
	var p urlParts
	url = strings.TrimLeft(url, "\x00\x01\x02\x03\x04\x05\x06\x07\x08\t\n\x0b\x0c\r\x0e\x0f\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f ")
	url = strings.NewReplacer("\t", "", "\r", "", "\n", "").Replace(url)
	if i := strings.IndexByte(url, ':'); i > 0 && (url[0]|0x20 >= 'a' && url[0]|0x20 <= 'z') {
		ok := true
		for j := 0; j < i; j++ {
			if !isSchemeChar(url[j]) {
				ok = false
				break
			}
		}
		if ok {
			p.scheme, url = strings.ToLower(url[:i]), url[i+1:]
		}
	}
	if strings.HasPrefix(url, "//") {
		end := len(url)
		if k := strings.IndexAny(url[2:], "/?#"); k >= 0 {
			end = 2 + k
		}
		p.netloc, url = url[2:end], url[end:]
		hasOpen, hasClose := strings.Contains(p.netloc, "["), strings.Contains(p.netloc, "]")
		if hasOpen != hasClose {
			return p, errIPv6URL
		}
		if hasOpen {
			if err := checkBracketedNetloc(p.netloc); err != nil {
				return p, err
			}
		}
	}
	if i := strings.IndexByte(url, '#'); i >= 0 {
		url, p.fragment = url[:i], url[i+1:]
	}
	if i := strings.IndexByte(url, '?'); i >= 0 {
		url, p.query = url[:i], url[i+1:]
	}
	p.path = url
	switch p.scheme {
	case "", "ftp", "hdl", "prospero", "http", "imap", "https", "shttp", "rtsp", "rtspu", "sip", "sips", "mms", "sftp", "tel":
		if strings.Contains(p.path, ";") {
			i := -1
			if k := strings.LastIndexByte(p.path, '/'); k >= 0 {
				if j := strings.IndexByte(p.path[k:], ';'); j >= 0 {
					i = k + j
				}
			} else {
				i = strings.IndexByte(p.path, ';')
			}
			if i >= 0 {
				p.path, p.params = p.path[:i], p.path[i+1:]
			}
		}
	}
	return p, nil
}

func checkBracketedNetloc(netloc string) error {
	hostPort := netloc[strings.LastIndexByte(netloc, '@')+1:]
	var host string
	before, bracketed, found := strings.Cut(hostPort, "[")
	if found {
		if before != "" {
			return errIPv6URL
		}
		var port string
		host, port, _ = strings.Cut(bracketed, "]")
		if port != "" && !strings.HasPrefix(port, ":") {
			return errIPv6URL
		}
	} else {
		host, _, _ = strings.Cut(hostPort, ":")
	}
	if strings.HasPrefix(host, "v") {
		if !ipvFutureRegexp.MatchString(host) {
			return errors.New("IPvFuture address is invalid")
		}
		return nil
	}
	addr, err := netip.ParseAddr(host)
	if err != nil {
		return fmt.Errorf("%q does not appear to be an IPv4 or IPv6 address", host)
	}
	if addr.Is4() {
		return errors.New("an IPv4 address cannot be in brackets")
	}
	return nil
}

// unparse mirrors urllib.parse.urlunparse.
func (p urlParts) unparse() string {
	url := p.path
	if p.params != "" {
		url += ";" + p.params
	}
	usesNetloc := false
	switch p.scheme {
	case "", "ftp", "http", "gopher", "nntp", "telnet", "imap", "wais", "file", "mms", "https", "shttp", "snews", "prospero", "rtsp", "rtspu", "rsync", "svn", "svn+ssh", "sftp", "nfs", "git", "git+ssh", "ws", "wss":
		usesNetloc = true
	}
	if p.netloc != "" || (p.scheme != "" && usesNetloc && !strings.HasPrefix(url, "//")) {
		if url != "" && url[0] != '/' {
			url = "/" + url
		}
		url = "//" + p.netloc + url
	}
	if p.scheme != "" {
		url = p.scheme + ":" + url
	}
	if p.query != "" {
		url += "?" + p.query
	}
	if p.fragment != "" {
		url += "#" + p.fragment
	}
	return url
}

// checkURL applies packaging's Requirement URL rule: file: URLs must
// survive urlparse/urlunparse unchanged, others need a scheme and a host.
func checkURL(url string) error {
	p, err := pyURLParse(url)
	if err != nil {
		return err
	}
	if p.scheme == "file" {
		if p.unparse() != url {
			return errors.New("invalid URL given")
		}
		return nil
	}
	if p.scheme == "" || p.netloc == "" {
		return fmt.Errorf("invalid URL: %s", url)
	}
	return nil
}
