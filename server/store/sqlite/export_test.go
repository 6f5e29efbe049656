package sqlite

import "testing"

// CountVersions lets the external tests look at schema_version without widening the API.
func CountVersions(t *testing.T, path string) int {
	t.Helper()
	db, err := openPool(path, true)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRowContext(t.Context(), `SELECT count(*) FROM schema_version`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}
