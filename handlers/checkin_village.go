package handlers

import (
	"context"
	"math"
	"strconv"
	"strings"

	"cadrebot"
	"cadrebot/i18n"
)

// maxRadiusM bounds a village radius: 50 km is more than any township.
const maxRadiusM = 50000

// SetVillage handles /setvillage LAT LON RADIUS_M for group admins: the
// village position that off-site check-ins are measured from.
// "/setvillage off" clears it; "/setvillage" alone shows it.
func SetVillage(st GroupPatcher, auth Auth, out Sender, texts Texts) Func {
	return func(ctx context.Context, u *Update) error {
		if err := requireGroup(u); err != nil {
			return err
		}
		if err := requireGroupAdmin(ctx, auth, u); err != nil {
			return err
		}
		f := strings.Fields(u.Args)
		if len(f) == 0 {
			if p, ok := u.Group.VillagePoint(); ok {
				return Reply(ctx, out, u, texts.T(u.Lang, "setvillage_show", i18n.Args{"Lat": p.Lat, "Lon": p.Lon, "Radius": u.Group.RadiusM}))
			}
			return Reply(ctx, out, u, texts.T(u.Lang, "setvillage_unset"))
		}
		if len(f) == 1 && strings.EqualFold(f[0], "off") {
			zero := 0.0
			if err := st.UpdateGroup(ctx, u.ChatID, cadrebot.GroupPatch{RadiusM: &zero}); err != nil {
				return err
			}
			return Reply(ctx, out, u, texts.T(u.Lang, "setvillage_cleared"))
		}
		if len(f) != 3 {
			return cadrebot.Errorf("setvillage_usage")
		}
		var v [3]float64
		for i, s := range f {
			x, err := strconv.ParseFloat(strings.TrimSuffix(strings.ToLower(s), "m"), 64)
			if err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
				return cadrebot.Errorf("setvillage_usage")
			}
			v[i] = x
		}
		p := cadrebot.Point{Lat: v[0], Lon: v[1]}
		if !p.Valid() || v[2] <= 0 || v[2] > maxRadiusM {
			return cadrebot.Errorf("setvillage_range", "Max", maxRadiusM)
		}
		if err := st.UpdateGroup(ctx, u.ChatID, cadrebot.GroupPatch{Lat: &v[0], Lon: &v[1], RadiusM: &v[2]}); err != nil {
			return err
		}
		return Reply(ctx, out, u, texts.T(u.Lang, "setvillage_done", i18n.Args{"Lat": v[0], "Lon": v[1], "Radius": v[2]}))
	}
}
