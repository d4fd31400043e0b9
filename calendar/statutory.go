package calendar

import (
	"fmt"
	"sync"

	"github.com/6tail/lunar-go/HolidayUtil"
)

// statEntry is one day of the State Council arrangement.
type statEntry struct {
	name string // e.g. "春节", "国庆中秋"
	work bool   // a 调休 make-up working day rather than a day off
}

// statutoryData is the lunar-go arrangement flattened into a map once, so
// that no lookup ever goes back to HolidayUtil: it scans a 16 KB string on
// every call and its Fix mutates package state without locking.
type statutoryData struct {
	days     map[int]statEntry // keyed by Date.days()
	firstDay int               // earliest day in the data
	lastDay  int               // latest day in the data
	from     int               // first year whose arrangement is in the data
	through  int               // last year whose arrangement is in the data
}

// firstProbeYear is where the scan for data starts; no arrangement can
// predate the People's Republic, and lunar-go's actually begins in 2001.
const firstProbeYear = 1949

var officialData = sync.OnceValue(loadStatutory)

func loadStatutory() *statutoryData {
	s := &statutoryData{days: make(map[int]statEntry, 1024)}
	seen := false
	// HolidayUtil has no "all records" call, so walk the years until the
	// first empty one after the data starts: every year has 元旦, so an
	// empty year means the data has run out.
	for y := firstProbeYear; y <= 9999; y++ {
		l := HolidayUtil.GetHolidaysByYear(y)
		if l.Len() == 0 {
			if seen {
				break
			}
			continue
		}
		for e := l.Front(); e != nil; e = e.Next() {
			h := e.Value.(*HolidayUtil.Holiday)
			day, err := ParseDate(h.GetDay())
			if err != nil {
				// The data is compiled into the binary, so this is a
				// defect of a lunar-go upgrade that the package tests
				// catch, not something to limp along with at run time.
				panic(fmt.Sprintf("calendar: lunar-go holiday data: %v", err))
			}
			target, err := ParseDate(h.GetTarget())
			if err != nil {
				panic(fmt.Sprintf("calendar: lunar-go holiday data: %v", err))
			}
			n := day.days()
			s.days[n] = statEntry{name: h.GetName(), work: h.IsWork()}
			if !seen {
				s.firstDay, s.lastDay = n, n
				s.from, s.through = target.Year, target.Year
				seen = true
			}
			s.firstDay, s.lastDay = min(s.firstDay, n), max(s.lastDay, n)
			// Coverage is by the festival's year, not the day's: the
			// 2001-12-29 make-up day belongs to the 2002 arrangement.
			s.from, s.through = min(s.from, target.Year), max(s.through, target.Year)
		}
	}
	return s
}

// StatutoryDay is one day of the official arrangement, for commands that
// list the upcoming holidays.
type StatutoryDay struct {
	Date Date
	Name string // e.g. "春节"
	Work bool   // a 调休 make-up working day rather than a day off
}

// Statutory returns the official arrangement's days in [from, to],
// ascending, before any deployment overrides.
func Statutory(from, to Date) []StatutoryDay {
	s := officialData()
	lo, hi := max(from.days(), s.firstDay), min(to.days(), s.lastDay)
	var out []StatutoryDay
	for n := lo; n <= hi; n++ {
		if e, ok := s.days[n]; ok {
			out = append(out, StatutoryDay{Date: fromDays(n), Name: e.name, Work: e.work})
		}
	}
	return out
}
