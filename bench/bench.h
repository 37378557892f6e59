// Side-by-side benchmarks behind `fixnet bench NAME`: each runs a piece of fixnet and its
// baseline(s) in the same run, interleaved, and reports both with their ratios — machines are
// shared and noisy, and a ratio measured in one run holds where absolute figures do not.
//
// A run prints a human table to the given stream or, with Options::json, exactly one JSON object
// (docs/performance.md documents every key). Progress goes to stderr, and only when stderr is a
// terminal, so the JSON on stdout stays machine-readable.
//
// Benchmarks build their inputs themselves, take seconds and use every core: run them one at a
// time.
#pragma once

#include <cstddef>
#include <iostream>
#include <string>
#include <vector>

namespace fixnet::bench {

struct Options {
  bool json = false;     // one JSON object instead of the table
  double seconds = 1.0;  // minimum measured time of each measurement (split across its rounds)
  size_t threads = 0;    // "all cores" for the multi-threaded rows; 0: one per core
  bool quick = false;    // small inputs (e.g. 100k thunks instead of 1M): a smoke test, not figures
};

struct BenchmarkInfo {
  std::string name;         // what `fixnet bench NAME` takes: "hash", "store", "eval"
  std::string description;  // one line, for --help
};

// Every benchmark, in the order --help lists them.
const std::vector<BenchmarkInfo>& benchmarks();
std::vector<std::string> names();

// Runs one benchmark by name and writes its report to `out`. Returns 0. Throws InputError for an
// unknown name or invalid options, EnvironmentError when the machine cannot run it (e.g. OpenSSL
// has no SHA-256).
int run(const std::string& name, const Options& options, std::ostream& out = std::cout);

}  // namespace fixnet::bench
