#pragma once
// The application icon, drawn at run time (a 3x3 grid of experts, two of them routed to), so
// it is sharp at every size and needs no image plug-in.
#include <QIcon>

namespace moe::ui {

QIcon appIcon();

}  // namespace moe::ui
