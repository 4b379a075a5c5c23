//! The profiles built into the binary, from `assets/boards/` (one file per model).

/// (file name, contents) of every built-in profile, in the order `hashbench profiles` lists them.
pub(crate) const FILES: [(&str, &str); 16] = [
    ("s9.toml", include_str!("../../../assets/boards/s9.toml")),
    (
        "s17plus.toml",
        include_str!("../../../assets/boards/s17plus.toml"),
    ),
    ("s19.toml", include_str!("../../../assets/boards/s19.toml")),
    (
        "s19pro.toml",
        include_str!("../../../assets/boards/s19pro.toml"),
    ),
    (
        "s19jpro.toml",
        include_str!("../../../assets/boards/s19jpro.toml"),
    ),
    (
        "s19jpro120.toml",
        include_str!("../../../assets/boards/s19jpro120.toml"),
    ),
    (
        "s19kpro.toml",
        include_str!("../../../assets/boards/s19kpro.toml"),
    ),
    (
        "s19xp.toml",
        include_str!("../../../assets/boards/s19xp.toml"),
    ),
    ("s21.toml", include_str!("../../../assets/boards/s21.toml")),
    (
        "s21pro.toml",
        include_str!("../../../assets/boards/s21pro.toml"),
    ),
    (
        "bitaxe-max.toml",
        include_str!("../../../assets/boards/bitaxe-max.toml"),
    ),
    (
        "bitaxe-ultra.toml",
        include_str!("../../../assets/boards/bitaxe-ultra.toml"),
    ),
    (
        "bitaxe-supra.toml",
        include_str!("../../../assets/boards/bitaxe-supra.toml"),
    ),
    (
        "bitaxe-gamma.toml",
        include_str!("../../../assets/boards/bitaxe-gamma.toml"),
    ),
    (
        "bitaxe-hex.toml",
        include_str!("../../../assets/boards/bitaxe-hex.toml"),
    ),
    (
        "bitaxe-suprahex.toml",
        include_str!("../../../assets/boards/bitaxe-suprahex.toml"),
    ),
];
