#pragma once
#include <stdexcept>
#include <string>

namespace moe {

struct Error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

struct TemplateError : Error {
    using Error::Error;
};

}  // namespace moe
