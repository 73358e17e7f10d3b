# moescope-cli inspect: text output on every conformance model (one CTest each), a corrupt file,
# and the Qt Test that runs the binary for --json, corrupt and bit-flipped inputs.
file(GLOB _moe_inspect_models "${MOESCOPE_SHARED_DIR}/conformance/models/*.gguf")
if(NOT _moe_inspect_models)
  # The data must be there: register a test that fails and says why, rather than none.
  add_test(NAME cli-inspect-models-missing COMMAND "${CMAKE_COMMAND}" -E false)
  set_tests_properties(cli-inspect-models-missing PROPERTIES LABELS "unit;conformance")
endif()
foreach(model IN LISTS _moe_inspect_models)
  get_filename_component(_stem "${model}" NAME_WE)
  add_test(NAME cli-inspect-${_stem} COMMAND moescope-cli inspect "${model}")
  set_tests_properties(cli-inspect-${_stem} PROPERTIES LABELS "unit;conformance"
    PASS_REGULAR_EXPRESSION "format: +GGUF v3, alignment 32.*architecture: +[a-z0-9]+\n.*hyper-parameters:\n.*\\.block_count.*tokenizer:\n  model gpt2, pre [a-z0-9-]+, 1,024 tokens.*chat template: yes.*parameters:\n  total +[0-9.]+ [KMB] \\([0-9,]+\\).*active/token +[0-9.]+ [KMB].*tensors \\([0-9]+\\):.*token_embd\\.weight.*per type:\n.*  total ")
  add_test(NAME cli-inspect-json-${_stem} COMMAND moescope-cli inspect "${model}" --json)
  set_tests_properties(cli-inspect-json-${_stem} PROPERTIES LABELS "unit;conformance"
    PASS_REGULAR_EXPRESSION "^\\{.*\"parameters\":\\{\"active\":[0-9]+,.*\"total\":[0-9]+.*\\}\n$")
endforeach()

add_test(NAME cli-inspect-not-gguf COMMAND moescope-cli inspect "${MOESCOPE_SHARED_DIR}/conformance/models/models.json")
set_tests_properties(cli-inspect-not-gguf PROPERTIES LABELS "unit;conformance"
  PASS_REGULAR_EXPRESSION "^moescope-cli inspect: error: [^\n]*/models\\.json: not a GGUF file \\(bad magic\\)")

moe_add_test(test-cli-inspect SOURCES test-cli-inspect.cpp
  LIBS moe_engine nlohmann_json::nlohmann_json LABELS unit conformance)
add_dependencies(test-cli-inspect moescope-cli)
