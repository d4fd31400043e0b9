package cadrebot

import "time"

// Rating is a reporter's satisfaction with a resolution (满意度).
type Rating string

// The ratings. Satisfied and Basic count as satisfied for the
// satisfaction rate (满意率), as 12345 hotlines count "满意" and
// "基本满意"; Unsatisfied reopens the problem with its reason.
const (
	RatingSatisfied   Rating = "satisfied"
	RatingBasic       Rating = "basic"
	RatingUnsatisfied Rating = "unsatisfied"
)

// Ratings lists the ratings in the order the buttons show them.
var Ratings = []Rating{RatingSatisfied, RatingBasic, RatingUnsatisfied}

// Valid reports whether r is one of the ratings.
func (r Rating) Valid() bool {
	return r == RatingSatisfied || r == RatingBasic || r == RatingUnsatisfied
}

// Satisfied reports whether r counts for the satisfaction rate.
func (r Rating) Satisfied() bool { return r == RatingSatisfied || r == RatingBasic }

// rate records a rating of the latest resolution. One per problem: a new
// rating replaces the last, until the problem closes. "Unsatisfied" is
// never recorded on its own here: it reopens the problem (ActReopen with
// Change.Rating), so that it carries a reason.
func (p *Problem) rate(c Change, now time.Time) error {
	switch {
	case p.Status == StatusClosed:
		return Errorf("pr_err_rating_closed", "N", p.ID)
	case p.Status != StatusResolved:
		return wrongStatus(*p, ActRate)
	case !c.Rating.Valid():
		return Errorf("pr_err_rating")
	case c.Rating == RatingUnsatisfied:
		return Errorf("pr_err_rating_reason", "N", p.ID)
	}
	p.Rating, p.RatedAt, p.RatedBy = c.Rating, now, c.Name
	return nil
}
