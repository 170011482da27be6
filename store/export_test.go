package store

// MigrationsUpTo makes Migrate stop at version v until the returned func
// restores the full list: a schema as an older pgkeeper left it.
func MigrationsUpTo(v int) (restore func()) {
	all := migrations
	migrations = migrations[:v]
	return func() { migrations = all }
}

// ServerSlotClass is the server-wide slots' first advisory-lock key.
const ServerSlotClass = serverSlotClass
