package telegramtest

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	_ "image/gif" // DecodeConfig of uploaded photos
	"image/jpeg"
	_ "image/png"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"
	"sync"

	"github.com/go-telegram/bot/models"
)

// File is a stored upload. Data is shared, never copied: treat it as
// read-only.
type File struct {
	ID       string
	UniqueID string
	Path     string // file_path served under /file/bot<token>/
	Name     string
	MIME     string
	Data     []byte
}

type fileStore struct {
	mu     sync.RWMutex
	seq    int64
	byID   map[string]*File
	byPath map[string]*File
	sizes  map[string][]models.PhotoSize
}

func (fs *fileStore) init() {
	fs.byID = map[string]*File{}
	fs.byPath = map[string]*File{}
	fs.sizes = map[string][]models.PhotoSize{}
}

// Prefixes mimic real file ids closely enough that code keying on their
// shape or length behaves as it would in production.
var kindPrefix = map[string]string{
	"photos":    "AgACAgIAAxkBAAI",
	"documents": "BQACAgIAAxkBAAI",
	"videos":    "BAACAgIAAxkBAAI",
	"music":     "CQACAgIAAxkBAAI",
}

func (fs *fileStore) put(f *File, kind string) *File {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	fs.seq++
	n := fs.seq
	f.ID = fmt.Sprintf("%s%08d%s", kindPrefix[kind], n, strconv.FormatUint(uint64(n)*0x9E3779B97F4A7C15, 36))
	f.UniqueID = fmt.Sprintf("AQAD%08d", n)
	ext := path.Ext(f.Name)
	if ext == "" && kind == "photos" {
		ext = ".jpg"
	}
	f.Path = fmt.Sprintf("%s/file_%d%s", kind, n, ext)
	if f.MIME == "" {
		f.MIME = guessMIME(f.Name)
	}
	fs.byID[f.ID] = f
	fs.byPath[f.Path] = f
	return f
}

func (fs *fileStore) get(id string) *File {
	fs.mu.RLock()
	defer fs.mu.RUnlock()
	return fs.byID[id]
}

// File returns a stored file by file_id.
func (s *Server) File(fileID string) (File, bool) {
	if f := s.files.get(fileID); f != nil {
		return *f, true // fields never change once the file is stored
	}
	return File{}, false
}

// AddFile stores data as if it had been uploaded and returns it with its new
// file_id, for tests that need an existing file_id.
func (s *Server) AddFile(name string, data []byte) File {
	kind := "documents"
	if strings.HasPrefix(guessMIME(name), "image/") {
		kind = "photos"
	}
	return *s.files.put(&File{Name: name, Data: data}, kind)
}

var commonTypes = map[string]string{
	".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png", ".gif": "image/gif", ".webp": "image/webp",
	".pdf": "application/pdf", ".csv": "text/csv", ".txt": "text/plain", ".json": "application/json",
	".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
	".xls":  "application/vnd.ms-excel",
	".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
	".doc":  "application/msword", ".zip": "application/zip", ".mp4": "video/mp4", ".mp3": "audio/mpeg",
	".ogg": "audio/ogg",
}

func guessMIME(name string) string {
	ext := strings.ToLower(path.Ext(name))
	if t, ok := commonTypes[ext]; ok {
		return t
	}
	if t := mime.TypeByExtension(ext); t != "" {
		return t
	}
	return "application/octet-stream"
}

// inputFile resolves an InputFile field: an uploaded part, "attach://name",
// an existing file_id or an HTTP URL (recorded, never fetched).
func (s *Server) inputFile(q *request, field, kind string) (*File, *apiError) {
	if f, ok := q.files[field]; ok {
		if f.ID == "" {
			s.files.put(f, kind)
		}
		return f, nil
	}
	v := q.str(field)
	if v == "" {
		return nil, badRequest("there is no %s in the request", strings.TrimSuffix(kind, "s"))
	}
	return s.fileRef(q, v, kind)
}

func (s *Server) fileRef(q *request, v, kind string) (*File, *apiError) {
	if name, ok := strings.CutPrefix(v, "attach://"); ok {
		f := q.files[name]
		if f == nil {
			return nil, badRequest("wrong file identifier/HTTP URL specified")
		}
		if f.ID == "" {
			s.files.put(f, kind)
		}
		return f, nil
	}
	if f := s.files.get(v); f != nil {
		return f, nil
	}
	if strings.HasPrefix(v, "http://") || strings.HasPrefix(v, "https://") {
		return s.files.put(&File{Name: path.Base(v)}, kind), nil
	}
	return nil, badRequest("wrong file identifier/HTTP URL specified")
}

// photoSizes describes a photo the way Telegram does: a thumbnail first and
// the full size last, as separate files. Bots that read Photo[0] get the
// thumbnail, which is the real-world bug this surfaces.
func (s *Server) photoSizes(f *File) []models.PhotoSize {
	s.files.mu.RLock()
	sizes := s.files.sizes[f.ID]
	s.files.mu.RUnlock()
	if sizes != nil {
		return sizes
	}
	w, h := 1280, 960
	if cfg, _, err := image.DecodeConfig(bytes.NewReader(f.Data)); err == nil {
		w, h = cfg.Width, cfg.Height
	}
	tw, th := w, h
	if m := max(w, h); m > 90 {
		tw, th = max(1, w*90/m), max(1, h*90/m)
	}
	thumb := s.files.put(&File{Name: "thumb.jpg", MIME: "image/jpeg", Data: f.Data}, "photos")
	sizes = []models.PhotoSize{
		{FileID: thumb.ID, FileUniqueID: thumb.UniqueID, Width: tw, Height: th, FileSize: len(f.Data)},
		{FileID: f.ID, FileUniqueID: f.UniqueID, Width: w, Height: h, FileSize: len(f.Data)},
	}
	s.files.mu.Lock()
	s.files.sizes[thumb.ID] = sizes[:1:1]
	s.files.sizes[f.ID] = sizes
	s.files.mu.Unlock()
	return sizes
}

// SamplePhoto is a small valid JPEG used when a test does not care about the
// picture.
var SamplePhoto = func() []byte {
	img := image.NewGray(image.Rect(0, 0, 64, 48))
	for y := 0; y < 48; y++ {
		for x := 0; x < 64; x++ {
			img.SetGray(x, y, color.Gray{Y: uint8(x*4 + y)})
		}
	}
	var b bytes.Buffer
	_ = jpeg.Encode(&b, img, &jpeg.Options{Quality: 60})
	return b.Bytes()
}()

func mGetFile(s *Server, _ *http.Request, q *request) (any, *apiError) {
	id := q.str("file_id")
	f := s.files.get(id)
	if f == nil {
		return nil, badRequest("invalid file_id")
	}
	if len(f.Data) > 20<<20 {
		return nil, badRequest("file is too big")
	}
	return &models.File{FileID: f.ID, FileUniqueID: f.UniqueID, FileSize: int64(len(f.Data)), FilePath: f.Path}, nil
}

// serveFile answers /file/bot<token>/<path>.
func (s *Server) serveFile(w http.ResponseWriter, r *http.Request, rest string) {
	slash := strings.IndexByte(rest, '/')
	if slash <= 0 {
		http.NotFound(w, r)
		return
	}
	s.noteToken(rest[:slash])
	if s.cfg.token != "" && rest[:slash] != s.cfg.token {
		writeError(w, &apiError{code: 401, desc: "Unauthorized"})
		return
	}
	s.files.mu.RLock()
	f := s.files.byPath[rest[slash+1:]]
	s.files.mu.RUnlock()
	if f == nil {
		writeError(w, &apiError{code: 404, desc: "Not Found"})
		return
	}
	w.Header().Set("Content-Type", f.MIME)
	w.Header().Set("Content-Length", strconv.Itoa(len(f.Data)))
	_, _ = w.Write(f.Data)
}
