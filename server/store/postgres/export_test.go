package postgres

import "io"

// SetReferenceSource makes references come from r, so a test can force a collision.
func (db *DB) SetReferenceSource(r io.Reader) { db.refs = r }

// PoolSize reports the pool's connection limit.
func (db *DB) PoolSize() int { return int(db.pool.Config().MaxConns) }
