#pragma once
// Typed engine errors. Each message names the file/field/tensor and the problem; the API edge
// (CLI, UI worker) shows what() to the user.
#include <stdexcept>
#include <string>

namespace moe {

struct Error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct GgufError : Error { using Error::Error; };        // malformed or unreadable GGUF file
struct ModelError : Error { using Error::Error; };       // valid GGUF, unusable model
struct TokenizerError : Error { using Error::Error; };
struct TemplateError : Error { using Error::Error; };
struct ConfigError : Error { using Error::Error; };      // bad user settings
struct IoError : Error { using Error::Error; };
struct CancelledError : Error { using Error::Error; };  // a progress callback asked to stop

}  // namespace moe
