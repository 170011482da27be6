package vocab

// RelationSizes are a table's sizes and tuple counts as the server sees them.
type RelationSizes struct {
	TableBytes, IndexBytes, TotalBytes int64
	LiveTuples, DeadTuples             int64 // pg_stat_user_tables: statistics, not counts
}
