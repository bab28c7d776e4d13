//! TODO: warp routes.
