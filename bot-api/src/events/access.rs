//! `rbac_deny` (TODO(bot-core)).
