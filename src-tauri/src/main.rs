fn main() { klingel::run() }
