//! Placeholder: file-issues tests against a fake GitHub API are being written.
