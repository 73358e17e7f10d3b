# Chat templates: byte-exact conformance with Python jinja2 on real model templates, and unit
# tests of the template language, its errors and its sandbox limits.
moe_add_test(test-engine-chat-template
  SOURCES test-engine-chat-template.cpp
  LIBS moe_engine nlohmann_json::nlohmann_json
  LABELS conformance)
moe_add_test(test-engine-chat-template-language
  SOURCES test-engine-chat-template-language.cpp
  LIBS moe_engine
  LABELS unit)
