package store

import (
	"context"
	"strconv"
	"strings"

	"github.com/redis/go-redis/v9"

	"cadrebot"
)

// Joint handling and proof of rectification: what a supporting
// department's note and the rest of a resolution's album write. The
// support lists themselves are indexes of the problem (see indexes).

// AddSupportNote appends a supporting department's progress note and
// records when that department last noted, whatever the version: a note
// changes nothing anyone decides on.
func (db *DB) AddSupportNote(ctx context.Context, id int64, e cadrebot.Entry) error {
	if _, err := db.Problem(ctx, id); err != nil {
		return err
	}
	return db.note(ctx, id, e, pfNoted+e.Dept, unix(e.At))
}

// AddResolutionPhoto appends a photo to a problem's resolution (the rest
// of an album whose first photo resolved it). It reports false when the
// resolution already has max photos.
func (db *DB) AddResolutionPhoto(ctx context.Context, id int64, fileID string, max int) (bool, error) {
	return db.addPhoto(ctx, db.keyProblem(id), pfResPhoto, fileID, max)
}

// SetResolutionAlbum remembers that media group group, sent in chat by
// user, resolved problem id: the rest of the album joins the resolution.
func (db *DB) SetResolutionAlbum(ctx context.Context, chat int64, group string, id, user int64) error {
	return wrap(db.rdb.Set(ctx, db.keyPrResAlbum(chat, group), itoa(id)+":"+itoa(user), AlbumTTL).Err())
}

// ResolutionAlbum returns the problem a media group resolved and who sent
// it, or 0.
func (db *DB) ResolutionAlbum(ctx context.Context, chat int64, group string) (id, user int64, err error) {
	s, err := db.rdb.Get(ctx, db.keyPrResAlbum(chat, group)).Result()
	if err == redis.Nil {
		return 0, 0, nil
	}
	if err != nil {
		return 0, 0, wrap(err)
	}
	a, b, _ := strings.Cut(s, ":")
	id, _ = strconv.ParseInt(a, 10, 64)
	user, _ = strconv.ParseInt(b, 10, 64)
	return id, user, nil
}
