package bot

import (
	"context"
	"sync"
	"time"

	"github.com/go-telegram/bot/models"

	"cadrebot/send"
)

// Auth answers permission questions with getChatMember, cached briefly:
// an admin who is demoted keeps their rights for at most TTL, which is
// the price of not asking Telegram on every button press.
type Auth struct {
	members Members
	admins  map[int64]bool
	TTL     time.Duration
	now     func() time.Time

	mu    sync.Mutex
	cache map[[2]int64]authEntry
}

type authEntry struct {
	status models.ChatMemberType
	at     time.Time
}

// Members answers getChatMember (outbox.Sender).
type Members interface {
	ChatMember(ctx context.Context, chat, user int64) (models.ChatMemberType, error)
}

// NewAuth builds the permission checker. admins are the deployment admins.
func NewAuth(s Members, admins []int64) *Auth {
	a := &Auth{members: s, admins: map[int64]bool{}, TTL: time.Minute, now: time.Now, cache: map[[2]int64]authEntry{}}
	for _, id := range admins {
		a.admins[id] = true
	}
	return a
}

func (a *Auth) status(ctx context.Context, chat, user int64) (models.ChatMemberType, error) {
	k := [2]int64{chat, user}
	a.mu.Lock()
	e, ok := a.cache[k]
	a.mu.Unlock()
	if ok && a.now().Sub(e.at) < a.TTL {
		return e.status, nil
	}
	st, err := a.members.ChatMember(ctx, chat, user)
	if err != nil {
		if send.IsPermanent(err) {
			// The bot is not in that chat or the user is unknown there:
			// not a member, and worth remembering as such.
			st = models.ChatMemberTypeLeft
		} else {
			return "", err
		}
	}
	a.mu.Lock()
	if len(a.cache) > 50000 {
		a.cache = map[[2]int64]authEntry{}
	}
	a.cache[k] = authEntry{status: st, at: a.now()}
	a.mu.Unlock()
	return st, nil
}

// IsGroupAdmin reports whether user administers chat.
func (a *Auth) IsGroupAdmin(ctx context.Context, chat, user int64) (bool, error) {
	st, err := a.status(ctx, chat, user)
	if err != nil {
		return false, err
	}
	return st == models.ChatMemberTypeOwner || st == models.ChatMemberTypeAdministrator, nil
}

// IsChatMember reports whether user is in chat.
func (a *Auth) IsChatMember(ctx context.Context, chat, user int64) (bool, error) {
	st, err := a.status(ctx, chat, user)
	if err != nil {
		return false, err
	}
	switch st {
	case models.ChatMemberTypeOwner, models.ChatMemberTypeAdministrator, models.ChatMemberTypeMember, models.ChatMemberTypeRestricted:
		return true, nil
	}
	return false, nil
}

// IsDeploymentAdmin reports whether user is listed in config admins.
func (a *Auth) IsDeploymentAdmin(user int64) bool { return a.admins[user] }

// Forget drops cached statuses of a chat (after a membership change).
func (a *Auth) Forget(chat, user int64) {
	a.mu.Lock()
	delete(a.cache, [2]int64{chat, user})
	a.mu.Unlock()
}
