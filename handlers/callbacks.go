package handlers

// Callback data starts with one of these prefixes and a colon; the router
// picks the handler by it (app/routes.go). Data is at most 64 bytes, so
// the prefixes are short. Buttons already in chats carry them: a prefix
// never changes meaning.
const (
	PrefixCard          = "p"  // department cards and the village's notices: p:<act>:<id>:<version>[:<arg>]
	PrefixReport        = "rd" // the report dialog: rd:<user b36>:<nonce>:<op>[:<arg>]
	PrefixProblemList   = "pq" // /problems pages: pq:<filter>:<page>:<user b36>
	PrefixLeave         = "lv" // leave approval: lv:<a|r>:<request>
	PrefixApprove       = "ap" // a village group's approval, by DM to admins: ap:<chat>
	PrefixProjectDialog = "pj" // the /project dialog: pj:<user b36>:<nonce>:<op>[:<arg>]
	PrefixMilestone     = "pm" // a milestone done: pm:d:<project>:<version>:<index>
	PrefixConfirm       = "cf" // a /bind, /leaders or renaming /setup confirmed: cf:<nonce>:<y|n>
)
