//! Progress lines on the console, the one way every part of the coordinator tells what it is
//! doing.

/// Prints a progress line.
pub fn say(line: impl AsRef<str>) {
    println!("bench: {}", line.as_ref());
}
