// Package httpx is the program's one HTTP client. Every network request pyvet
// makes goes through it, so every request gets the same treatment: a connect
// timeout and a timeout per attempt, retries with exponential backoff that
// honour Retry-After (idempotent requests only, on transient errors, 408, 429
// and 5xx), a per-host circuit breaker that stops asking a host that failed to
// connect several times in a row and says so once, an offline mode that
// refuses every request before anything is dialled, a cap on every response
// body and one User-Agent. Every failure of the network or of a server is an
// error errors.Is matches with ErrNetwork. Base URLs stay with the callers.
package httpx

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/cenkalti/backoff/v5"

	"github.com/pyvet/pyvet/internal/safeio"
)

// Defaults of Options.
const (
	DefaultTimeout        = 30 * time.Second
	DefaultConnectTimeout = 10 * time.Second
	DefaultRetries        = 3
	DefaultBackoff        = 500 * time.Millisecond
	DefaultMaxBackoff     = 30 * time.Second
	DefaultBreakAfter     = 3
	DefaultUserAgent      = "pyvet"
)

// Options configure a Client. Zero values mean the defaults above.
type Options struct {
	// Offline refuses every request with ErrOffline before anything is dialled.
	Offline bool
	// Timeout bounds one attempt, from connecting to the end of the body.
	Timeout time.Duration
	// ConnectTimeout bounds connecting: TCP connect and TLS handshake.
	ConnectTimeout time.Duration
	// Retries is how many times an idempotent request is repeated after a
	// transient failure (negative: never).
	Retries int
	// Backoff is the wait before the first retry; each further one doubles it
	// (with jitter) up to MaxBackoff.
	Backoff time.Duration
	// MaxBackoff is the longest wait between attempts. A server asking, with
	// Retry-After, for a longer wait is not asked again: its answer is final.
	MaxBackoff time.Duration
	// BreakAfter is how many failed connections in a row make the client stop
	// asking a host for the rest of its life (negative: never).
	BreakAfter int
	// UserAgent is sent with every request that sets none.
	UserAgent string
	// Notes receives one line when a request is first refused because its
	// host was given up on (a request that fails by itself says why in its
	// error). Nil: silence.
	Notes func(msg string)
	// OnRetry, when set, is called before each wait between two attempts.
	OnRetry func(RetryInfo)
	// Sleep waits d between two attempts, returning early with ctx's error
	// when ctx ends (default: a timer). Tests set it to assert the waits
	// (Retry-After, backoff) without spending them.
	Sleep func(ctx context.Context, d time.Duration) error
	// DialContext opens connections (default: a net.Dialer with
	// ConnectTimeout). The client wraps it to tell connection failures apart.
	DialContext func(ctx context.Context, network, addr string) (net.Conn, error)
	// Proxy selects a proxy per request (default: http.ProxyFromEnvironment).
	Proxy func(*http.Request) (*url.URL, error)
}

// RetryInfo describes a retry about to happen.
type RetryInfo struct {
	URL     string
	Attempt int           // the attempt that failed, from 1
	Wait    time.Duration // the wait before the next one
	Err     error         // why it failed
}

// Tuning holds the per-request settings a derived client may change; zero
// fields keep the parent's values (Retries: negative means none).
type Tuning struct {
	Timeout    time.Duration
	Retries    int
	Backoff    time.Duration
	MaxBackoff time.Duration
}

// Client is an HTTP client with the behaviour the package describes. It is
// safe for concurrent use. Clients derived with Tune share the connections,
// the circuit breaker and the offline mode of their parent.
type Client struct {
	opts    Options
	shared  *shared
	hc      *http.Client // follows redirects; one attempt per hop when the context says so
	retries int
}

// shared is what a client and the clients derived from it have in common.
type shared struct {
	base    *http.Transport
	breaker *breaker
	offline bool
}

// New returns a client with the given options.
func New(o Options) *Client {
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.ConnectTimeout <= 0 {
		o.ConnectTimeout = DefaultConnectTimeout
	}
	if o.Retries == 0 {
		o.Retries = DefaultRetries
	}
	if o.Backoff <= 0 {
		o.Backoff = DefaultBackoff
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = DefaultMaxBackoff
	}
	if o.BreakAfter == 0 {
		o.BreakAfter = DefaultBreakAfter
	}
	if o.UserAgent == "" {
		o.UserAgent = DefaultUserAgent
	}
	if o.Proxy == nil {
		o.Proxy = http.ProxyFromEnvironment
	}
	dial := o.DialContext
	if dial == nil {
		dial = (&net.Dialer{Timeout: o.ConnectTimeout, KeepAlive: 30 * time.Second}).DialContext
	}
	connectTimeout := o.ConnectTimeout
	base := &http.Transport{
		Proxy: o.Proxy,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			dctx, cancel := context.WithTimeout(ctx, connectTimeout)
			defer cancel()
			conn, err := dial(dctx, network, addr)
			if err != nil && ctx.Err() == nil {
				return nil, &dialError{err}
			}
			return conn, err
		},
		ForceAttemptHTTP2:     true,
		TLSHandshakeTimeout:   o.ConnectTimeout,
		MaxIdleConns:          64,
		MaxIdleConnsPerHost:   16,
		IdleConnTimeout:       90 * time.Second,
		ExpectContinueTimeout: time.Second,
	}
	s := &shared{base: base, offline: o.Offline, breaker: &breaker{after: o.BreakAfter, notes: o.Notes, hosts: map[string]*hostState{}}}
	return newClient(o, s)
}

func newClient(o Options, s *shared) *Client {
	c := &Client{opts: o, shared: s, retries: max(o.Retries, 0)}
	c.hc = &http.Client{Transport: &transport{c: c}}
	return c
}

// Tune returns a client sharing c's connections, breaker and offline mode
// with other per-request settings.
func (c *Client) Tune(t Tuning) *Client {
	o := c.opts
	if t.Timeout > 0 {
		o.Timeout = t.Timeout
	}
	if t.Retries != 0 {
		o.Retries = t.Retries
	}
	if t.Backoff > 0 {
		o.Backoff = t.Backoff
	}
	if t.MaxBackoff > 0 {
		o.MaxBackoff = t.MaxBackoff
	}
	return newClient(o, c.shared)
}

// Offline reports whether the client refuses every request.
func (c *Client) Offline() bool { return c.shared.offline }

// Options returns the client's options, defaults filled in.
func (c *Client) Options() Options { return c.opts }

// HTTPClient returns a standard *http.Client that sends its requests through
// c (offline mode, breaker, timeouts, retries), for libraries that take one.
func (c *Client) HTTPClient() *http.Client { return &http.Client{Transport: &transport{c: c}} }

// Transport returns c as an http.RoundTripper.
func (c *Client) Transport() http.RoundTripper { return &transport{c: c} }

var defaultClient atomic.Pointer[Client]

// Default returns the process-wide client: the one SetDefault installed, else
// one with the default options.
func Default() *Client {
	if c := defaultClient.Load(); c != nil {
		return c
	}
	defaultClient.CompareAndSwap(nil, New(Options{}))
	return defaultClient.Load()
}

// SetDefault makes c the process-wide client Default returns.
func SetDefault(c *Client) { defaultClient.Store(c) }

// Or returns c, or Default() when c is nil.
func Or(c *Client) *Client {
	if c != nil {
		return c
	}
	return Default()
}

// Sentinel errors, matched with errors.Is on the errors the client returns.
var (
	// ErrOffline: the client is offline and sent nothing.
	ErrOffline = errors.New("offline mode: no network access")
	// ErrUnreachable: the host could not be connected to (now or, with
	// ErrCircuitOpen, earlier in the run).
	ErrUnreachable = errors.New("host unreachable")
	// ErrCircuitOpen: the host failed to connect too often; it was not asked.
	ErrCircuitOpen = errors.New("host given up on after repeated connection failures")
	// ErrNetwork: the network or a server failed: no answer came (DNS,
	// connect, TLS, a timeout, a connection cut, ErrCircuitOpen), or the
	// answer was a transient server error (Retryable: 5xx, 429, 408) on the
	// last attempt. Offline mode (ErrOffline) is not a network failure.
	// Errors of other packages carrying an HTTP status match it through
	// IsNetworkStatus.
	ErrNetwork = errors.New("network failure")
)

// IsNetworkStatus reports whether an HTTP status, answered on a request's
// last attempt, is a failure of the server rather than an answer about what
// was asked: a status Retryable reports. Error types of other packages that
// carry a status use it to match ErrNetwork:
//
//	func (e *MyStatusError) Is(target error) bool {
//		return target == httpx.ErrNetwork && httpx.IsNetworkStatus(e.Status)
//	}
func IsNetworkStatus(status int) bool { return Retryable(status) }

type errKind int

const (
	kindOther errKind = iota
	kindOffline
	kindConnect
	kindCircuit
	kindTimeout
)

// Error is a request that got no HTTP answer. Its message is short and the
// same for every request that failed for one reason ("pypi.org: connection
// refused"), so that many failures read as one line.
type Error struct {
	URL    string // the request URL
	Host   string // host[:port] of the URL
	Reason string // what went wrong, without the URL
	Err    error  // the underlying error, if any
	kind   errKind
}

func (e *Error) Error() string { return e.Host + ": " + e.Reason }

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

// Is matches ErrOffline, ErrUnreachable, ErrCircuitOpen and, for every
// kind but offline, ErrNetwork.
func (e *Error) Is(target error) bool {
	switch target {
	case ErrOffline:
		return e.kind == kindOffline
	case ErrNetwork:
		return e.kind != kindOffline
	case ErrUnreachable:
		return e.kind == kindConnect || e.kind == kindCircuit
	case ErrCircuitOpen:
		return e.kind == kindCircuit
	}
	return false
}

// Timeout reports whether the attempt ran out of time.
func (e *Error) Timeout() bool { return e.kind == kindTimeout }

// dialError marks an error from opening a connection.
type dialError struct{ err error }

func (d *dialError) Error() string { return d.err.Error() }
func (d *dialError) Unwrap() error { return d.err }

// StatusError is an HTTP answer the caller did not expect.
type StatusError struct {
	URL    string
	Status int
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("%s: HTTP %d %s", e.URL, e.Status, http.StatusText(e.Status))
}

// Is matches ErrNetwork when the status is a server's failure (IsNetworkStatus).
func (e *StatusError) Is(target error) bool {
	return target == ErrNetwork && IsNetworkStatus(e.Status)
}

// Retryable reports whether an answer with this status is worth asking again:
// 408, 429 and 5xx other than 501 and 505.
func Retryable(status int) bool {
	switch status {
	case http.StatusRequestTimeout, http.StatusTooManyRequests:
		return true
	case http.StatusNotImplemented, http.StatusHTTPVersionNotSupported:
		return false
	}
	return status >= 500 && status <= 599
}

// transientError marks an error returned by a Fetch callback as worth another attempt.
type transientError struct{ err error }

func (t *transientError) Error() string { return t.err.Error() }
func (t *transientError) Unwrap() error { return t.err }

// Transient marks err, returned from a Fetch callback, as worth another
// attempt (a body cut off in the middle, say). When the attempts are spent,
// Fetch returns it matching ErrNetwork. A nil err stays nil.
func Transient(err error) error {
	if err == nil {
		return nil
	}
	return &transientError{err}
}

// retryStatus is a retryable answer that is not the last attempt.
type retryStatus struct {
	status int
	wait   time.Duration // from Retry-After; 0 when absent
	url    string
}

func (r *retryStatus) Error() string { return (&StatusError{URL: r.url, Status: r.status}).Error() }

// attemptKey marks a request context whose transport makes one attempt (the
// caller's loop retries); its value is the caller's own context.
type attemptKey struct{}

type transport struct{ c *Client }

// RoundTrip sends req: one attempt when the caller's loop retries, else
// with the client's retries. A retryable status on the last attempt is
// returned as the response.
func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	c := t.c
	if req.Context().Value(attemptKey{}) != nil {
		return c.once(req)
	}
	var resp *http.Response
	err := c.loop(req, func(r *http.Request, last bool) error {
		res, err := c.once(r)
		if err != nil {
			return err
		}
		if c.retryAnswer(res, last) {
			return drainStatus(res)
		}
		resp = res
		return nil
	})
	return resp, err
}

// retryAnswer reports whether an answer is to be dropped for another
// attempt: a retryable status, attempts left, and no Retry-After asking for
// longer than the client waits.
func (c *Client) retryAnswer(res *http.Response, last bool) bool {
	if last || !Retryable(res.StatusCode) {
		return false
	}
	return retryAfter(res.Header.Get("Retry-After"), time.Now()) <= c.opts.MaxBackoff
}

// drainStatus reads a little of a retryable answer (so the connection can be
// reused), closes it and returns the retry error.
func drainStatus(res *http.Response) error {
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10))
	res.Body.Close()
	return &retryStatus{status: res.StatusCode, wait: retryAfter(res.Header.Get("Retry-After"), time.Now()), url: res.Request.URL.Redacted()}
}

// retryAfter parses a Retry-After header: seconds or an HTTP date.
func retryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if s, err := strconv.ParseInt(v, 10, 64); err == nil {
		if s <= 0 {
			return 0
		}
		if s > int64(24*time.Hour/time.Second) {
			s = int64(24 * time.Hour / time.Second)
		}
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return min(t.Sub(now), 24*time.Hour)
	}
	return 0
}

// Fetch sends req and hands the answer to read, which runs within the
// attempt's timeout; the body is closed after it. The whole exchange is
// repeated, within the client's retries, when sending fails transiently, the
// status is retryable (read then sees only the last attempt's answer) or read
// returns an error marked with Transient. Only idempotent requests are
// repeated: GET, HEAD, OPTIONS, TRACE, or any request carrying an
// Idempotency-Key header (an empty one is not sent, as in net/http). The
// error is read's, or an *Error when no answer came.
func (c *Client) Fetch(req *http.Request, read func(*http.Response) error) error {
	err := c.loop(req, func(r *http.Request, last bool) error {
		actx, cancel := context.WithTimeout(context.WithValue(r.Context(), attemptKey{}, r.Context()), c.opts.Timeout)
		defer cancel()
		res, err := c.hc.Do(r.WithContext(actx))
		if err != nil {
			if r.Context().Err() == nil && actx.Err() != nil {
				return c.timeoutError(r, err)
			}
			return unwrapURL(err)
		}
		defer res.Body.Close()
		if c.retryAnswer(res, last) {
			return drainStatus(res)
		}
		if err := read(res); err != nil {
			if actx.Err() != nil && r.Context().Err() == nil && (errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) || isTimeout(err)) {
				// The attempt's time ran out while the body was read.
				return &transientError{c.timeoutError(r, err)}
			}
			return err
		}
		return nil
	})
	if t, ok := err.(*transientError); ok {
		if req.Context().Err() != nil {
			return t.err
		}
		// Every attempt was cut off: the network's failure.
		return &spentError{t.err}
	}
	return err
}

// spentError is a Transient error of the last attempt: its message, and
// errors.Is matches ErrNetwork.
type spentError struct{ err error }

func (s *spentError) Error() string        { return s.err.Error() }
func (s *spentError) Unwrap() error        { return s.err }
func (s *spentError) Is(target error) bool { return target == ErrNetwork }

// unwrapURL returns the *Error inside a *url.Error from http.Client.Do.
func unwrapURL(err error) error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return err
}

// Response is a fully read answer.
type Response struct {
	URL    string // the final URL, after redirects
	Status int
	Header http.Header
	Body   []byte
}

// Get fetches u with the headers h and reads at most limit bytes of the body
// (a longer one is a *safeio.TooLargeError naming the URL). Every status is
// returned as a Response; the error is for requests that got no answer.
func (c *Client) Get(ctx context.Context, u string, h http.Header, limit int64) (*Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", safeio.Excerpt(u), err)
	}
	for k, v := range h {
		req.Header[k] = v
	}
	var out *Response
	name := req.URL.Redacted()
	err = c.Fetch(req, func(res *http.Response) error {
		body, err := safeio.ReadAll(res.Body, limit, name)
		if err != nil {
			if errors.As(err, new(*safeio.TooLargeError)) || ctx.Err() != nil {
				return err
			}
			return Transient(c.classify(req, err))
		}
		out = &Response{URL: res.Request.URL.String(), Status: res.StatusCode, Header: res.Header, Body: body}
		return nil
	})
	return out, err
}

// idempotent reports whether req may be sent twice, as net/http decides.
func idempotent(req *http.Request) bool {
	switch req.Method {
	case "", http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace:
	default:
		if _, ok := req.Header["Idempotency-Key"]; !ok {
			if _, ok := req.Header["X-Idempotency-Key"]; !ok {
				return false
			}
		}
	}
	return req.Body == nil || req.Body == http.NoBody || req.GetBody != nil
}

// loop runs try until it succeeds, fails for good or the retries are spent.
func (c *Client) loop(req *http.Request, try func(r *http.Request, last bool) error) error {
	if err := c.admit(req); err != nil {
		return err
	}
	tries := 1
	if idempotent(req) {
		tries += c.retries
	}
	ctx := req.Context()
	b := &backoff.ExponentialBackOff{InitialInterval: c.opts.Backoff, RandomizationFactor: 0.25, Multiplier: 2, MaxInterval: c.opts.MaxBackoff}
	b.Reset()
	for attempt := 1; ; attempt++ {
		r := req
		if attempt > 1 {
			var err error
			if r, err = rewind(req); err != nil {
				return err
			}
		}
		err := try(r, attempt == tries)
		if err == nil || attempt == tries || ctx.Err() != nil || !c.transient(err) {
			return finalError(err)
		}
		if _, open := c.shared.breaker.isOpen(hostOf(req.URL)); open {
			// The host was given up on during this request: another
			// attempt would be refused; this failure is the answer.
			return finalError(err)
		}
		wait := b.NextBackOff()
		var rs *retryStatus
		if errors.As(err, &rs) && rs.wait > 0 {
			wait = max(wait, rs.wait) // retryAnswer kept it within MaxBackoff
		}
		if c.opts.OnRetry != nil {
			c.opts.OnRetry(RetryInfo{URL: req.URL.Redacted(), Attempt: attempt, Wait: wait, Err: err})
		}
		sleep := c.opts.Sleep
		if sleep == nil {
			sleep = Sleep
		}
		if err := sleep(ctx, wait); err != nil {
			return err
		}
	}
}

// Sleep waits d, or until ctx ends, in which case it returns ctx's error.
// It is the default Options.Sleep.
func Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// finalError turns the internal retry error of a status into a StatusError.
func finalError(err error) error {
	var rs *retryStatus
	if errors.As(err, &rs) {
		return &StatusError{URL: rs.url, Status: rs.status}
	}
	return err
}

// rewind returns a copy of req with a fresh body for another attempt.
func rewind(req *http.Request) (*http.Request, error) {
	r := req.Clone(req.Context())
	if req.GetBody != nil {
		body, err := req.GetBody()
		if err != nil {
			return nil, err
		}
		r.Body = body
	}
	return r, nil
}

// transient reports whether a failed attempt is worth repeating.
func (c *Client) transient(err error) bool {
	var t *transientError
	var rs *retryStatus
	var e *Error
	switch {
	case errors.As(err, &t), errors.As(err, &rs):
		return true
	case errors.As(err, &e):
		return e.kind == kindConnect || e.kind == kindTimeout || (e.kind == kindOther && netTransient(e.Err))
	}
	return false
}

// netTransient recognises a connection that broke during an exchange.
func netTransient(err error) bool {
	var ne net.Error
	switch {
	case err == nil:
		return false
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF),
		errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE), errors.Is(err, syscall.ECONNABORTED):
		return true
	case errors.As(err, &ne) && ne.Timeout():
		return true
	}
	var op *net.OpError
	return errors.As(err, &op)
}

// admit refuses requests offline or to a host the breaker gave up on.
func (c *Client) admit(req *http.Request) error {
	host := hostOf(req.URL)
	if c.shared.offline {
		return &Error{URL: req.URL.Redacted(), Host: host, Reason: "not fetched (offline mode)", Err: ErrOffline, kind: kindOffline}
	}
	if reason, open := c.shared.breaker.refuse(host); open {
		return &Error{URL: req.URL.Redacted(), Host: host, Reason: reason, Err: ErrCircuitOpen, kind: kindCircuit}
	}
	return nil
}

// once makes one attempt, within the attempt timeout; the timeout ends when
// the body is closed.
func (c *Client) once(req *http.Request) (*http.Response, error) {
	if err := c.admit(req); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(req.Context(), c.opts.Timeout)
	r := req.WithContext(ctx)
	if r.Header.Get("User-Agent") == "" {
		r = r.Clone(ctx)
		r.Header.Set("User-Agent", c.opts.UserAgent)
	}
	res, err := c.shared.base.RoundTrip(r)
	if err != nil {
		cancel()
		parent := req.Context()
		if p, ok := parent.Value(attemptKey{}).(context.Context); ok {
			parent = p // the caller's context, not Fetch's attempt
		}
		if parent.Err() != nil {
			return nil, parent.Err()
		}
		return nil, c.classify(req, err)
	}
	c.shared.breaker.succeeded(hostOf(req.URL))
	res.Body = &cancelBody{ReadCloser: res.Body, cancel: cancel}
	return res, nil
}

// classify turns a transport error into an *Error and feeds the breaker.
func (c *Client) classify(req *http.Request, err error) error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	host := hostOf(req.URL)
	out := &Error{URL: req.URL.Redacted(), Host: host, Err: err}
	var de *dialError
	switch {
	case errors.As(err, &de):
		out.kind, out.Reason = kindConnect, connectReason(de.err)
		c.shared.breaker.failed(host, out.Reason)
	case errors.Is(err, context.DeadlineExceeded) || isTimeout(err):
		out.kind, out.Reason = kindTimeout, fmt.Sprintf("no answer within %s", c.opts.Timeout)
	default:
		out.Reason = shortReason(err)
	}
	return out
}

func (c *Client) timeoutError(req *http.Request, err error) error {
	return &Error{URL: req.URL.Redacted(), Host: hostOf(req.URL), Reason: fmt.Sprintf("no answer within %s", c.opts.Timeout), Err: err, kind: kindTimeout}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// connectReason names why a connection failed, in a few words.
func connectReason(err error) string {
	var dns *net.DNSError
	switch {
	case errors.As(err, &dns):
		switch {
		case dns.IsNotFound:
			return "no such host"
		case dns.IsTimeout:
			return "DNS lookup timed out"
		}
		return "DNS lookup failed"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, syscall.ENETUNREACH):
		return "network unreachable"
	case errors.Is(err, syscall.EHOSTUNREACH):
		return "host unreachable"
	case errors.Is(err, context.DeadlineExceeded) || isTimeout(err):
		return "connection timed out"
	}
	return "cannot connect: " + shortReason(err)
}

// shortReason is the innermost message of err, clipped.
func shortReason(err error) string {
	for {
		u := errors.Unwrap(err)
		if u == nil {
			break
		}
		err = u
	}
	s := err.Error()
	if len(s) > 100 {
		s = safeio.ExcerptN(s, 100)
	}
	return s
}

// hostOf is the breaker's key for a URL: host[:port], lower case.
func hostOf(u *url.URL) string {
	if u == nil {
		return ""
	}
	return strings.ToLower(u.Host)
}

type cancelBody struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (b *cancelBody) Close() error {
	err := b.ReadCloser.Close()
	b.cancel()
	return err
}

// breaker counts failed connections per host.
type breaker struct {
	after int
	notes func(string)
	mu    sync.Mutex
	hosts map[string]*hostState
}

type hostState struct {
	fails  int    // failed connections in a row
	open   bool   // given up on
	noted  bool   // the note saying so was sent
	reason string // the last failure
}

func (b *breaker) isOpen(host string) (string, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if h := b.hosts[host]; h != nil && h.open {
		return h.reason, true
	}
	return "", false
}

// refuse is isOpen for a request about to be refused: the first refusal
// of a host sends the note saying it is given up on.
func (b *breaker) refuse(host string) (string, bool) {
	b.mu.Lock()
	h := b.hosts[host]
	if h == nil || !h.open {
		b.mu.Unlock()
		return "", false
	}
	note := !h.noted
	h.noted = true
	reason, n := h.reason, h.fails
	b.mu.Unlock()
	if note && b.notes != nil {
		b.notes(fmt.Sprintf("%s: %s (%d failed connections); not asking it again in this run", host, reason, n))
	}
	return reason, true
}

func (b *breaker) succeeded(host string) {
	b.mu.Lock()
	if h := b.hosts[host]; h != nil && !h.open {
		h.fails = 0
	}
	b.mu.Unlock()
}

func (b *breaker) failed(host, reason string) {
	b.mu.Lock()
	h := b.hosts[host]
	if h == nil {
		h = &hostState{}
		b.hosts[host] = h
	}
	if h.open {
		// A request sent before the host was given up on: the count and
		// the reason stay those that opened the breaker.
		b.mu.Unlock()
		return
	}
	h.fails++
	h.reason = reason
	if b.after > 0 && h.fails >= b.after {
		h.open = true
	}
	b.mu.Unlock()
}
