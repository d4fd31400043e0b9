package config

import "slices"

// The lookups scan slices: a deployment has tens of entries at most, and
// keeping File plain data lets it be built and copied freely in tests.

// Category returns the category with the given id.
func (f *File) Category(id string) (Category, bool) {
	for _, c := range f.Categories {
		if c.ID == id {
			return c, true
		}
	}
	return Category{}, false
}

// Department returns the department with the given id.
func (f *File) Department(id string) (Department, bool) {
	for _, d := range f.Departments {
		if d.ID == id {
			return d, true
		}
	}
	return Department{}, false
}

// DepartmentByChat returns the department whose group is chatID. Chat id 0
// means "not bound yet", so it never matches.
func (f *File) DepartmentByChat(chatID int64) (Department, bool) {
	if chatID == 0 {
		return Department{}, false
	}
	for _, d := range f.Departments {
		if d.ChatID == chatID {
			return d, true
		}
	}
	return Department{}, false
}

// Village returns the pre-configured village for chatID.
func (f *File) Village(chatID int64) (Village, bool) {
	for _, v := range f.Villages {
		if v.ChatID == chatID {
			return v, true
		}
	}
	return Village{}, false
}

// IsAdmin reports whether userID is a deployment admin.
func (f *File) IsAdmin(userID int64) bool {
	return slices.Contains(f.Admins, userID)
}

// Ancestors returns deptID's escalation chain, nearest parent first, without
// deptID itself. It stops before an unknown parent or a repeat, so an
// unvalidated File cannot make it loop.
func (f *File) Ancestors(deptID string) []string {
	var chain []string
	seen := map[string]bool{deptID: true}
	d, ok := f.Department(deptID)
	for ok && d.Parent != "" && !seen[d.Parent] {
		if d, ok = f.Department(d.Parent); ok {
			seen[d.ID] = true
			chain = append(chain, d.ID)
		}
	}
	return chain
}

// ApprovalRequired reports whether new village groups need a deployment
// admin's approval before their reports reach departments (the default).
func (f *File) ApprovalRequired() bool { return f.Approval == nil || *f.Approval }

// PreApproved reports whether the config approves chat from the start: it
// is listed in approved_chats or is a configured village.
func (f *File) PreApproved(chat int64) bool {
	if slices.Contains(f.ApprovedChats, chat) {
		return true
	}
	for _, v := range f.Villages {
		if v.ChatID == chat {
			return true
		}
	}
	return false
}

// Unit returns the unit with the given id.
func (f *File) Unit(id string) (Unit, bool) {
	for _, u := range f.Units {
		if u.ID == id {
			return u, true
		}
	}
	return Unit{}, false
}

// LevelRank orders unit levels: a parent's rank is below its child's.
// Unknown levels rank 0.
func LevelRank(level string) int {
	switch level {
	case LevelCity:
		return 1
	case LevelCounty:
		return 2
	case LevelTown:
		return 3
	}
	return 0
}
