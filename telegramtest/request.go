package telegramtest

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	json "github.com/goccy/go-json"
)

// Telegram's own upload ceiling is 50 MB; fields are small JSON blobs. Parts
// are streamed straight into memory instead of ParseMultipartForm so large
// benchmarks never touch temp files.
const (
	maxBody  = 64 << 20
	maxField = 1 << 20
	maxFile  = 50 << 20
)

type apiError struct {
	code       int
	desc       string
	retryAfter int
	migrateTo  int64
}

func badRequest(format string, args ...any) *apiError {
	return &apiError{code: 400, desc: "Bad Request: " + fmt.Sprintf(format, args...)}
}

func forbidden(desc string) *apiError {
	return &apiError{code: 403, desc: "Forbidden: " + desc}
}

func tooMany(retry int) *apiError {
	if retry < 1 {
		retry = 1
	}
	return &apiError{code: 429, desc: fmt.Sprintf("Too Many Requests: retry after %d", retry), retryAfter: retry}
}

type errorBody struct {
	OK          bool        `json:"ok"`
	ErrorCode   int         `json:"error_code"`
	Description string      `json:"description"`
	Parameters  *respParams `json:"parameters,omitempty"`
}

type respParams struct {
	MigrateToChatID int64 `json:"migrate_to_chat_id,omitempty"`
	RetryAfter      int   `json:"retry_after,omitempty"`
}

func writeError(w http.ResponseWriter, e *apiError) {
	body := errorBody{ErrorCode: e.code, Description: e.desc}
	if e.retryAfter > 0 || e.migrateTo != 0 {
		body.Parameters = &respParams{MigrateToChatID: e.migrateTo, RetryAfter: e.retryAfter}
	}
	b, _ := json.Marshal(body)
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(e.code)
	_, _ = w.Write(b)
}

func writeOK(w http.ResponseWriter, result []byte) {
	const head, tail = `{"ok":true,"result":`, `}`
	b := make([]byte, 0, len(head)+len(result)+len(tail))
	b = append(append(append(b, head...), result...), tail...)
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(b)))
	_, _ = w.Write(b)
}

// rawJSON lets handlers hand over bytes that are already valid JSON; passing
// them through json.Marshal would re-validate and compact them for nothing.
type rawJSON []byte

func marshalResult(v any) ([]byte, *apiError) {
	switch r := v.(type) {
	case rawJSON:
		return r, nil
	case bool:
		if r {
			return []byte("true"), nil
		}
		return []byte("false"), nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, &apiError{code: 500, desc: "Internal Server Error: " + err.Error()}
	}
	return b, nil
}

// request is one decoded Bot API call. Every transport is flattened to the
// string form go-telegram/bot uses in multipart bodies: scalars as text,
// objects and arrays as JSON text.
type request struct {
	params map[string]string
	files  map[string]*File
}

func parseRequest(w http.ResponseWriter, r *http.Request) (*request, *apiError) {
	q := &request{params: make(map[string]string, 8)}
	if r.URL.RawQuery != "" {
		for k, v := range r.URL.Query() {
			if len(v) > 0 {
				q.params[k] = v[0]
			}
		}
	}
	if r.Body == nil || r.Method == http.MethodGet || r.Method == http.MethodHead {
		return q, nil
	}
	body := http.MaxBytesReader(w, r.Body, maxBody)
	mt, mp, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	var err error
	switch mt {
	case "multipart/form-data":
		err = q.readMultipart(multipart.NewReader(body, mp["boundary"]))
	case "application/json":
		err = q.readJSON(body)
	case "application/x-www-form-urlencoded":
		var b []byte
		if b, err = io.ReadAll(body); err == nil {
			var vals url.Values
			if vals, err = url.ParseQuery(string(b)); err == nil {
				for k, v := range vals {
					q.params[k] = v[0]
				}
			}
		}
	}
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) || errors.Is(err, errTooLarge) {
			return q, &apiError{code: 413, desc: "Request Entity Too Large"}
		}
		return q, badRequest("can't parse request: %v", err)
	}
	return q, nil
}

var errTooLarge = errors.New("too large")

func (q *request) readMultipart(mr *multipart.Reader) error {
	for {
		part, err := mr.NextPart()
		// go-telegram/bot sends parameterless calls as a multipart
		// content type with an empty body, which surfaces as a wrapped EOF.
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		name := part.FormName()
		if name == "" {
			continue
		}
		limit := int64(maxField)
		fname := part.FileName()
		if fname != "" {
			limit = maxFile
		}
		data, err := io.ReadAll(io.LimitReader(part, limit+1))
		if err != nil {
			return err
		}
		if int64(len(data)) > limit {
			return errTooLarge
		}
		if fname == "" {
			q.params[name] = string(data)
			continue
		}
		if q.files == nil {
			q.files = map[string]*File{}
		}
		// go-telegram/bot labels every upload application/octet-stream,
		// so the extension is a better guess, like Telegram's own.
		ct := part.Header.Get("Content-Type")
		if ct == "" || ct == "application/octet-stream" {
			ct = guessMIME(fname)
		}
		q.files[name] = &File{Name: fname, MIME: ct, Data: data}
	}
}

func (q *request) readJSON(r io.Reader) error {
	var m map[string]json.RawMessage
	dec := json.NewDecoder(r)
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil {
		if err == io.EOF {
			return nil
		}
		return err
	}
	for k, v := range m {
		v = bytes.TrimSpace(v)
		switch {
		case len(v) == 0 || string(v) == "null":
		case v[0] == '"':
			var s string
			if err := json.Unmarshal(v, &s); err != nil {
				return err
			}
			q.params[k] = s
		default:
			q.params[k] = string(v)
		}
	}
	return nil
}

func (q *request) fileValues() map[string]File {
	if len(q.files) == 0 {
		return nil
	}
	out := make(map[string]File, len(q.files))
	for k, f := range q.files {
		out[k] = *f
	}
	return out
}

func (q *request) str(k string) string { return q.params[k] }

func (q *request) has(k string) bool { _, ok := q.params[k]; return ok }

func (q *request) flag(k string) bool {
	v := q.params[k]
	return v == "true" || v == "1" || v == "True"
}

// int64 reports (0, false, nil) when the field is absent.
func (q *request) int64(k string) (int64, bool, *apiError) {
	v, ok := q.params[k]
	if !ok || v == "" {
		return 0, false, nil
	}
	n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	if err != nil {
		return 0, true, badRequest("field \"%s\" must be a valid Number", k)
	}
	return n, true, nil
}

func (q *request) int(k string) (int, bool, *apiError) {
	n, ok, err := q.int64(k)
	return int(n), ok, err
}

// json decodes an object/array field; absent fields leave v untouched.
func (q *request) json(k string, v any) (bool, error) {
	s, ok := q.params[k]
	if !ok || s == "" {
		return false, nil
	}
	return true, json.Unmarshal([]byte(s), v)
}
