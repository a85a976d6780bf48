package report

import (
	"io"
	"strings"
	"testing"

	"golang.org/x/net/html"
)

// markdownAllowed is every element and attribute a rendered description
// may hold.
var markdownAllowed = map[string]map[string]bool{
	"p": {}, "h1": {}, "h2": {}, "h3": {}, "h4": {}, "h5": {}, "h6": {}, "strong": {}, "em": {}, "del": {},
	"pre": {}, "code": {"class": true}, "a": {"href": true, "rel": true, "title": true},
	"ul": {}, "ol": {"start": true}, "li": {}, "blockquote": {}, "hr": {}, "br": {},
	"table": {}, "thead": {}, "tbody": {}, "tr": {}, "th": {"align": true}, "td": {"align": true},
}

// checkSafeHTML fails when h holds an element or attribute a description
// may not, or a link that is not http, https or mailto without
// rel="noopener noreferrer nofollow".
func checkSafeHTML(t *testing.T, src, h string) {
	t.Helper()
	z := html.NewTokenizer(strings.NewReader(h))
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			if z.Err() != io.EOF {
				t.Fatalf("%q: rendered HTML does not parse: %v", src, z.Err())
			}
			return
		}
		if tt == html.CommentToken || tt == html.DoctypeToken {
			t.Errorf("%q renders a %v: %s", src, tt, z.Raw())
			continue
		}
		if tt != html.StartTagToken && tt != html.SelfClosingTagToken {
			continue
		}
		tok := z.Token()
		attrs, ok := markdownAllowed[tok.Data]
		if !ok {
			t.Errorf("%q renders a <%s> element", src, tok.Data)
			continue
		}
		rel := ""
		for _, a := range tok.Attr {
			if !attrs[a.Key] {
				t.Errorf("%q renders <%s %s=%q>", src, tok.Data, a.Key, a.Val)
			}
			switch a.Key {
			case "href":
				if !allowedURL([]byte(a.Val)) {
					t.Errorf("%q links to %q", src, a.Val)
				}
			case "rel":
				rel = a.Val
			}
		}
		if tok.Data == "a" && rel != linkRel {
			t.Errorf("%q renders a link with rel %q", src, rel)
		}
	}
}

func FuzzMarkdownDescription(f *testing.F) {
	for _, s := range []string{
		"plain text", "## Impact\n\n**bold** _em_ ~~del~~ `code`", "```js\n</code></pre><script>x</script>\n```",
		"<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "<!-- c -->", "<a href=\"javascript:x\">y</a>",
		"[x](javascript:alert(1))", "[x](  JaVaScRiPt:alert(1))", "[x](java\tscript:1)", "[x](&#106;avascript:1)",
		"[x](data:text/html,<script>)", "![i](https://e.example/x.png)", "![i](javascript:x)", "<https://ok.example>",
		"www.example.com/x", "x@example.com", "<mailto:a@b.c>", "[x][r]\n\n[r]: javascript:1", "[x](https://ok \"t\\\" onclick=\\\"x\")",
		"| a | b |\n|:-|-:|\n| <b>1</b> | [l](vbscript:x) |", "> quote <iframe src=x>", "1. a\n2. b\n\n3) c", "<style>*{}</style>",
		"<details open ontoggle=alert(1)>", "line  \nbreak", "<?php x ?>", "<![CDATA[x]]>", "&lt;script&gt;", "\x00\xff<",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		h, plain := renderMarkdown(s)
		checkSafeHTML(t, s, string(h))
		if strings.ContainsAny(plain, "\n\r") {
			t.Errorf("%q: plain text spans lines: %q", s, plain)
		}
		checkSafeHTML(t, s, string(renderInline(s)))
	})
}
