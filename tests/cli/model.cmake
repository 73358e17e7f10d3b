# moescope-cli model subcommands on the conformance models (owner: model helper).
set(_moe_models "${MOESCOPE_SHARED_DIR}/conformance/models")
# Greedy ids of llama.cpp for refs/llama-f16/unicode.json (all 32 steps have margin >= 0.05).
add_test(NAME cli-run-greedy-ids COMMAND moescope-cli run "${_moe_models}/llama-f16.gguf"
  --tokens "1021,90,195,188,114,507,32,226,134,146,32,230,157,177,228,186,172,58,32,49,50,51,52,53,54,55,32,107,109,9,9,226,130,172,57,46,57,57,360,10,975,32,120,91,105,93,32,61,32,121,416,50,59,32,32,47,47,302,97,195,175,322,32,240,159,154,128,32,9,32,10,32,48,120,49,70,32,51,46,49,52,101,45,49,48,32" -n 32 --temp 0 --ids -t 2)
set_tests_properties(cli-run-greedy-ids PROPERTIES LABELS "conformance;model"
  PASS_REGULAR_EXPRESSION "924 378 979 399 575 592 438 919 600 712 182 987 349 679 402 999 426 96 549 869 501 772 561 896 101 837 1020 612 206 115 946 751\n")
add_test(NAME cli-run-text COMMAND moescope-cli run "${_moe_models}/qwen2moe-q8_0.gguf" -p "Once upon a time" -n 8 --seed 3)
set_tests_properties(cli-run-text PROPERTIES LABELS "unit;model" PASS_REGULAR_EXPRESSION "generated: 8 tokens")
add_test(NAME cli-run-missing-model COMMAND moescope-cli run /nonexistent/model.gguf -p hi)
set_tests_properties(cli-run-missing-model PROPERTIES LABELS "unit;model" PASS_REGULAR_EXPRESSION "cannot open")
add_test(NAME cli-bench-json COMMAND moescope-cli bench "${_moe_models}/qwen3moe-q8_0.gguf" -p 16 -n 8 -r 1 --json)
set_tests_properties(cli-bench-json PROPERTIES LABELS "unit;model"
  PASS_REGULAR_EXPRESSION "\"prefill_tok_s\": [0-9.]+.*\"decode_tok_s\": [0-9.]+.*\"peak_rss_bytes\": [0-9]+")
add_test(NAME cli-chat-piped COMMAND sh -c "printf 'Hello\\nHow are you?\\n' | $<TARGET_FILE:moescope-cli> chat ${_moe_models}/qwen2moe-q8_0.gguf -n 6 --seed 1")
set_tests_properties(cli-chat-piped PROPERTIES LABELS "unit;model" PASS_REGULAR_EXPRESSION "6 tokens.*6 tokens")
add_test(NAME cli-perplexity COMMAND moescope-cli perplexity "${_moe_models}/qwen3-q8_0.gguf"
  "${MOESCOPE_SHARED_DIR}/conformance/README.md" --ctx 128)
set_tests_properties(cli-perplexity PROPERTIES LABELS "unit;model"
  PASS_REGULAR_EXPRESSION "perplexity [0-9.]+ over [0-9]+ predicted tokens")
