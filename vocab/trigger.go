package vocab

import "strconv"

// Trigger is what started a run: the schedule, the shell, or someone in the
// chat. Runs, locks, manifests and undo files record it as it is, and
// /history and /status show it so.
type Trigger string

// Triggers that name no person; ChatUser makes the others.
const (
	TriggerSchedule Trigger = "schedule"
	TriggerShell    Trigger = "shell"
	// TriggerChat is someone in the chat not known by name (an update
	// without a sender), or the chat side as a whole.
	TriggerChat Trigger = "chat"
)

// ChatUser is the trigger of a run an admin started from Telegram:
// "@ann (1)", or "user 1" when they have no username.
func ChatUser(id int64, username string) Trigger {
	if username != "" {
		return Trigger("@" + username + " (" + strconv.FormatInt(id, 10) + ")")
	}
	return Trigger("user " + strconv.FormatInt(id, 10))
}

// Kind is the trigger without the person: schedule, shell or chat, a tag
// with few values.
func (t Trigger) Kind() string {
	switch t {
	case TriggerSchedule, TriggerShell:
		return string(t)
	}
	return string(TriggerChat)
}
