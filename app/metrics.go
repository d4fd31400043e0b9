package app

import "github.com/prometheus/client_golang/prometheus"

// registerStoreMetrics exports the store's command and round-trip counts,
// so an outside load tool (cmd/cadreload) can report Redis round trips
// per update for a running bot.
func (a *App) registerStoreMetrics() {
	st := a.DB.Stats()
	a.Metrics.Registry.MustRegister(
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "cadrebot_redis_commands_total",
			Help: "Redis commands sent, pipelined ones included."}, func() float64 { return float64(st.Commands.Load()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "cadrebot_redis_roundtrips_total",
			Help: "Redis round trips (a pipeline or transaction is one)."}, func() float64 { return float64(st.RoundTrips.Load()) }),
	)
}
