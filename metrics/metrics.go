// Package metrics holds cadrebot's Prometheus series, shared by the
// Telegram adapter, the outbox, the scheduler and the store.
package metrics

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Metrics are cadrebot's Prometheus series. Each instance has its own
// registry, so tests can run several bots in one process.
type Metrics struct {
	Registry       *prometheus.Registry
	Updates        *prometheus.CounterVec   // type, command
	Duplicates     prometheus.Counter       // updates delivered twice
	HandlerErrors  *prometheus.CounterVec   // kind: user, internal, unavailable
	HandlerLatency *prometheus.HistogramVec // type
	Panics         prometheus.Counter
	APICalls       *prometheus.CounterVec // method, result
	RedisErrors    prometheus.Counter
	FloodDropped   prometheus.Counter
	FloodNotices   prometheus.Counter
	UpdatesHeld    prometheus.Gauge       // updates accepted and not yet finished, in memory
	UpdatesSpilled prometheus.Counter     // updates kept in Redis only because their chat's queue was full
	UpdatesShed    *prometheus.CounterVec // reason: updates given up on, with a log line each
	Replays        prometheus.Counter     // updates handled again after a crash (from the inbox)
	Deferred       *prometheus.CounterVec // reason: replies queued in the outbox instead of sent at once
	JobRuns        *prometheus.CounterVec // job, result
	OutboxDepth    prometheus.Gauge
	OutboxAge      prometheus.Gauge
	SendFailures   *prometheus.CounterVec // reason: forbidden, bad_request, exhausted, corrupt
	OutboxRetries  *prometheus.CounterVec // reason: 429, error
	OutboxLeader   prometheus.Gauge       // 1 on the replica holding the sender lease
	PollerLeader   prometheus.Gauge       // 1 on the replica holding the poller lease
}

// NewMetrics registers every series on a fresh registry.
func NewMetrics() *Metrics {
	r := prometheus.NewRegistry()
	r.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m := &Metrics{
		Registry: r,
		Updates: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "cadrebot_updates_total",
			Help: "Updates received, by type and command."}, []string{"type", "command"}),
		Duplicates: prometheus.NewCounter(prometheus.CounterOpts{Name: "cadrebot_updates_duplicate_total",
			Help: "Updates skipped because their ID was already processed."}),
		HandlerErrors: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "cadrebot_handler_errors_total",
			Help: "Handler errors by kind (user, internal, unavailable)."}, []string{"kind"}),
		HandlerLatency: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "cadrebot_handler_seconds",
			Help: "Time to handle one update, by type.", Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14)}, []string{"type"}),
		Panics: prometheus.NewCounter(prometheus.CounterOpts{Name: "cadrebot_handler_panics_total",
			Help: "Panics recovered in handlers and in the background work they started."}),
		APICalls: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "cadrebot_telegram_calls_total",
			Help: "Bot API calls by method and result."}, []string{"method", "result"}),
		RedisErrors: prometheus.NewCounter(prometheus.CounterOpts{Name: "cadrebot_redis_errors_total",
			Help: "Redis round trips that failed for connection reasons."}),
		FloodDropped: prometheus.NewCounter(prometheus.CounterOpts{Name: "cadrebot_flood_dropped_total",
			Help: "Updates dropped by per-user flood control."}),
		FloodNotices: prometheus.NewCounter(prometheus.CounterOpts{Name: "cadrebot_flood_notices_total",
			Help: "\"Slow down\" notices sent to flooding users (at most one per flood)."}),
		UpdatesHeld: prometheus.NewGauge(prometheus.GaugeOpts{Name: "cadrebot_updates_in_flight",
			Help: "Updates accepted and not yet finished, held in memory."}),
		UpdatesSpilled: prometheus.NewCounter(prometheus.CounterOpts{Name: "cadrebot_updates_spilled_total",
			Help: "Updates left in the Redis inbox (not in memory) because their chat's queue was full."}),
		UpdatesShed: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "cadrebot_updates_shed_total",
			Help: "Updates given up on, by reason; each is logged."}, []string{"reason"}),
		Replays: prometheus.NewCounter(prometheus.CounterOpts{Name: "cadrebot_updates_replayed_total",
			Help: "Updates handled again after a crash, taken from the inbox."}),
		Deferred: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "cadrebot_replies_deferred_total",
			Help: "Replies queued in the outbox instead of sent at once, by reason (budget, backlog, 429)."}, []string{"reason"}),
		JobRuns: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "cadrebot_job_runs_total",
			Help: "Scheduled job firings by job and result (ran, skipped, locked, failed)."}, []string{"job", "result"}),
		OutboxDepth: prometheus.NewGauge(prometheus.GaugeOpts{Name: "cadrebot_outbox_depth",
			Help: "Messages waiting in the outbox."}),
		OutboxAge: prometheus.NewGauge(prometheus.GaugeOpts{Name: "cadrebot_outbox_oldest_seconds",
			Help: "Age of the oldest message waiting in the outbox."}),
		SendFailures: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "cadrebot_send_failures_total",
			Help: "Messages that could not be delivered, by reason."}, []string{"reason"}),
		OutboxRetries: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "cadrebot_outbox_retries_total",
			Help: "Outbox sends rescheduled, by reason (429, error)."}, []string{"reason"}),
		OutboxLeader: prometheus.NewGauge(prometheus.GaugeOpts{Name: "cadrebot_outbox_sender",
			Help: "1 while this replica holds the outbox sender lease."}),
		PollerLeader: prometheus.NewGauge(prometheus.GaugeOpts{Name: "cadrebot_poller_active",
			Help: "1 while this replica holds the long-polling lease."}),
	}
	r.MustRegister(m.Updates, m.Duplicates, m.HandlerErrors, m.HandlerLatency, m.Panics, m.APICalls,
		m.RedisErrors, m.FloodDropped, m.FloodNotices, m.UpdatesHeld, m.UpdatesSpilled, m.UpdatesShed, m.Replays,
		m.Deferred, m.JobRuns, m.OutboxDepth, m.OutboxAge, m.SendFailures, m.OutboxRetries, m.OutboxLeader, m.PollerLeader)
	return m
}
