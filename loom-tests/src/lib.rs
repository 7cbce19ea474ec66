//! Loom models of corio; see tests/.
