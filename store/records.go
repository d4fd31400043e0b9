package store

import (
	"context"

	"github.com/redis/go-redis/v9"

	"cadrebot"
)

// Problems and projects are each a hash of fields under their number.
// These load them: one, or many in pipelines of problemBatch.

// hashRecord loads the record in the hash key, or cadrebot.ErrNotFound.
func hashRecord[T any](ctx context.Context, db *DB, key string, decode func(map[string]string) T) (T, error) {
	var zero T
	m, err := db.rdb.HGetAll(ctx, key).Result()
	if err != nil {
		return zero, wrap(err)
	}
	if len(m) == 0 {
		return zero, cadrebot.ErrNotFound
	}
	return decode(m), nil
}

// hashRecords loads the records of ids, in their order, one pipelined
// round trip per problemBatch; unknown ids are left out.
func hashRecords[T any](ctx context.Context, db *DB, ids []int64, key func(int64) string, decode func(int64, map[string]string) T) ([]T, error) {
	out := make([]T, 0, len(ids))
	for start := 0; start < len(ids); start += problemBatch {
		batch := ids[start:min(start+problemBatch, len(ids))]
		cmds := make([]*redis.MapStringStringCmd, len(batch))
		_, err := db.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			for i, id := range batch {
				cmds[i] = p.HGetAll(ctx, key(id))
			}
			return nil
		})
		if err != nil {
			return nil, wrap(err)
		}
		for i, c := range cmds {
			if m := c.Val(); len(m) > 0 {
				out = append(out, decode(batch[i], m))
			}
		}
	}
	return out, nil
}
