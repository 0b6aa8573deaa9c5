// Calls the declarations must refuse (tests/it/types.rs expects tsc to fail on each line
// marked with its error code).
cairn("track", 42); // TS2769
cairn("open", "toast"); // TS2769
cairn("configure", { theme: "blue" }); // TS2769
addEventListener("cairn:track", (e) => e.detail.totl); // TS2551
