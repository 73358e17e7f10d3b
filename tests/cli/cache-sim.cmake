# moescope-cli cache-sim and trace on a conformance model (owner: moe helper).
set(_moe_models "${MOESCOPE_SHARED_DIR}/conformance/models")
set(_moe_text "${CMAKE_CURRENT_SOURCE_DIR}/data/cache-sim-text.txt")
add_test(NAME cli-cache-sim-json COMMAND moescope-cli cache-sim "${_moe_models}/qwen2moe-q8_0.gguf" "${_moe_text}"
  --budget-experts 4 --policy lru --aware-margin 0.2 --prefetch on --ctx 64 --json -t 2)
set_tests_properties(cli-cache-sim-json PROPERTIES LABELS "unit;model"
  PASS_REGULAR_EXPRESSION "\"hit_rate\": [0-9.e-]+.*\"prefetch_accuracy\": [0-9.e-]+.*\"deviation\": [0-9.e-]+.*\"ppl_exact\": [0-9.e+]+.*\"ppl\": [0-9.e+]+.*\"tok_s\": [0-9.e+]+")
add_test(NAME cli-cache-sim-repeat COMMAND moescope-cli cache-sim "${_moe_models}/qwen3moe-q8_0.gguf" "${_moe_text}"
  --budget-experts 4 --prefetch on --ctx 64 --repeat 3 --json -t 2)
set_tests_properties(cli-cache-sim-repeat PROPERTIES LABELS "unit;model"
  PASS_REGULAR_EXPRESSION "\"tok_s_ratio\": [0-9.e+-]+,[^}]*\"repeats\": 3,[^}]*\"tok_s_runs\": \\[[^],]+,[^],]+,[^],]+\\]")
add_test(NAME cli-cache-sim-defaults COMMAND moescope-cli cache-sim "${_moe_models}/olmoe-q8_0.gguf" "${_moe_text}" --ctx 64 -t 2)
set_tests_properties(cli-cache-sim-defaults PROPERTIES LABELS "unit;model"
  PASS_REGULAR_EXPRESSION "hit rate [0-9.]+%.*perplexity exact [0-9.]+")
add_test(NAME cli-cache-sim-too-small COMMAND moescope-cli cache-sim "${_moe_models}/olmoe-q8_0.gguf" "${_moe_text}" --budget-experts 1)
set_tests_properties(cli-cache-sim-too-small PROPERTIES LABELS "unit;model"
  PASS_REGULAR_EXPRESSION "budget of 1 experts per layer is below")
add_test(NAME cli-trace COMMAND moescope-cli trace "${_moe_models}/qwen2moe-q8_0.gguf" -p "Once upon a time" -n 8
  -o "${CMAKE_CURRENT_BINARY_DIR}/cli-trace.json" --routing-csv "${CMAKE_CURRENT_BINARY_DIR}/cli-trace.csv" -t 2)
set_tests_properties(cli-trace PROPERTIES LABELS "unit;model" PASS_REGULAR_EXPRESSION "trace: [1-9][0-9]* events \\(0 dropped\\)")
