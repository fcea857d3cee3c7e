include!("/tmp/dbg_body.rs");
