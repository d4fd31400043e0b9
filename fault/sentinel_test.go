package fault

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-telegram/bot/models"
	"github.com/redis/go-redis/v9"

	"cadrebot/apptest"
	"cadrebot/calendar"
	"cadrebot/store"
)

// TestSentinelFailover runs the bot through Redis Sentinel
// (REDIS_SENTINEL_ADDRS, REDIS_MASTER_NAME), kills the master, and checks
// that the bot follows the promoted replica by itself: check-ins confirmed
// before the failover (and replicated) are still there, and new ones work.
func TestSentinelFailover(t *testing.T) {
	master := apptest.StartRedisServer(t, "--appendonly", "yes")
	replica := apptest.StartRedisServer(t, "--appendonly", "yes", "--replicaof", "127.0.0.1", strconv.Itoa(master.Port))
	sentinel := startSentinel(t, master.Port)
	e := apptest.Start(t, apptest.WithEnv("REDIS_SENTINEL_ADDRS", sentinel, "REDIS_MASTER_NAME", "cadre"))
	g := e.TG.Group(-100950, "村工作群")
	e.TG.SendText(g, apptest.Admin, "/setup 东坞村")
	e.WaitSent(g.ID, "本群服务")
	checkIn := func(u models.User) *models.Message {
		m := e.TG.SendText(g, u, "打卡")
		e.Wait(u.FirstName+"'s check-in confirmed", func() bool { return len(e.TG.Reactions(g.ID, m.ID)) > 0 })
		return m
	}
	checkIn(apptest.Wang)
	checkIn(apptest.Li)

	// Replication is asynchronous: wait until the replica has everything,
	// then fail the master.
	ctx := context.Background()
	mc := redis.NewClient(&redis.Options{Addr: fmt.Sprintf("127.0.0.1:%d", master.Port)})
	rc := redis.NewClient(&redis.Options{Addr: fmt.Sprintf("127.0.0.1:%d", replica.Port)})
	defer mc.Close()
	defer rc.Close()
	waitFor(t, 10*time.Second, "the replica to catch up", func() bool {
		return replOffset(ctx, mc, "master_repl_offset") > 0 &&
			replOffset(ctx, mc, "master_repl_offset") == replOffset(ctx, rc, "slave_repl_offset")
	})
	master.Kill()
	waitFor(t, 30*time.Second, "the replica's promotion", func() bool {
		role, _ := rc.Do(ctx, "ROLE").Slice()
		return len(role) > 0 && role[0] == "master"
	})

	// The bot reconnects to the new master without a restart.
	after := int64(1100)
	waitFor(t, 30*time.Second, "a check-in through the new master", func() bool {
		after++ // a new cadre each try
		m := e.TG.SendText(g, models.User{ID: after, FirstName: fmt.Sprintf("干部%d", after)}, "打卡")
		deadline := time.Now().Add(3 * time.Second)
		for time.Now().Before(deadline) {
			if len(e.TG.Reactions(g.ID, m.ID)) > 0 {
				return true
			}
			time.Sleep(10 * time.Millisecond)
		}
		return false
	})
	day, err := store.New(rc, e.Prefix).CheckinDay(ctx, g.ID, calendar.DateOf(e.Clock.Now()))
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range []models.User{apptest.Wang, apptest.Li} {
		if _, ok := day.Details[u.ID]; !ok {
			t.Errorf("%s's check-in, confirmed and replicated before the failover, is missing", u.FirstName)
		}
	}
	if _, ok := day.Details[after]; !ok {
		t.Error("the check-in after the failover is missing")
	}
}

func replOffset(ctx context.Context, c *redis.Client, field string) int64 {
	info, err := c.Info(ctx, "replication").Result()
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(info, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), field+":"); ok {
			n, _ := strconv.ParseInt(v, 10, 64)
			return n
		}
	}
	return -1
}

// startSentinel runs one Sentinel (quorum 1) watching the master "cadre"
// and returns its address.
func startSentinel(t *testing.T, masterPort int) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	dir := t.TempDir()
	conf := filepath.Join(dir, "sentinel.conf")
	body := fmt.Sprintf("port %d\nbind 127.0.0.1\ndir %s\n"+
		"sentinel monitor cadre 127.0.0.1 %d 1\n"+
		"sentinel down-after-milliseconds cadre 1000\n"+
		"sentinel failover-timeout cadre 5000\n", port, dir, masterPort)
	if err := os.WriteFile(conf, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("redis-server", conf, "--sentinel")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	c := redis.NewSentinelClient(&redis.Options{Addr: addr})
	defer c.Close()
	waitFor(t, 10*time.Second, "Sentinel to see the master", func() bool {
		a, err := c.GetMasterAddrByName(context.Background(), "cadre").Result()
		return err == nil && len(a) == 2
	})
	return addr
}
