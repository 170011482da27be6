package pgtest

// Deletable is the cleanup rule for the seeded Baileys schema, written
// independently of the job so tests have an oracle to compare its counts
// with: a predicate on whatsapp_keys k, $1 the cutoff, $2 now. Expired by
// age or expires_at, except the protected types and each company's current
// pre-key (creds.nextPreKeyId - 1).
const Deletable = `(k.updated_at < $1 OR k.expires_at < $2)
	AND k.key_type NOT IN ('app-state-sync-key', 'app-state-sync-version')
	AND NOT EXISTS (SELECT 1 FROM whatsapp_auth a WHERE a.company_id = k.company_id
	                AND k.key_type = 'pre-key' AND k.key_id = ((a.creds->>'nextPreKeyId')::bigint - 1)::text)`
