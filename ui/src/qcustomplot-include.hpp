#pragma once
// qcustomplot.h 2.1 uses the `signals` and `foreach` keywords that QT_NO_KEYWORDS removes
// (we need it: Qt's `emit` breaks oneTBB). Map them to the Q_ forms for this header only.
#include <QObject>
#include <QtGlobal>

#define signals Q_SIGNALS
#define foreach Q_FOREACH
#include <qcustomplot.h>
#undef foreach
#undef signals
