package features

import "embed"

// Services holds the service releases of the requirement sets, under
// services/ ("services/2026.12.1.json"; reports.LoadServiceReleases reads
// them), so an installed binary knows every exclusion an accepted challenge
// made.
//
//go:embed services
var Services embed.FS
