package bot

import (
	"bytes"
	"io"
	"net/http"
)

// BufferBodies wraps a transport so that a request body of unknown length
// is read into memory and sent with a Content-Length. go-telegram/bot
// streams every request through an io.Pipe, and net/http flushes a
// streamed body after each chunk: one write syscall per multipart field,
// about ten per API call. Buffered, a setMessageReaction is one write,
// which more than doubles how many check-ins a core acknowledges.
func BufferBodies(next http.RoundTripper) http.RoundTripper { return bufferBodies{next} }

type bufferBodies struct{ next http.RoundTripper }

func (t bufferBodies) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body == nil || r.Body == http.NoBody || r.ContentLength > 0 {
		return t.next.RoundTrip(r)
	}
	buf, err := io.ReadAll(r.Body)
	r.Body.Close()
	if err != nil {
		return nil, err
	}
	// A RoundTripper must not change the caller's request.
	r2 := r.Clone(r.Context())
	r2.ContentLength = int64(len(buf))
	r2.Body = io.NopCloser(bytes.NewReader(buf))
	r2.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(buf)), nil }
	return t.next.RoundTrip(r2)
}
