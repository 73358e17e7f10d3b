# The bundled demo model (resources/models): it loads, its held-out perplexity stays within 2% of
# the model card's PyTorch figure (22.594: 22.14 to 23.05), and a greedy reply is stable.
set(_moe_demo "${PROJECT_SOURCE_DIR}/resources/models")
add_test(NAME demo-model-inspect COMMAND moescope-cli inspect "${_moe_demo}/moescope-demo-q8_0.gguf")
set_tests_properties(demo-model-inspect PROPERTIES LABELS model
  PASS_REGULAR_EXPRESSION "architecture: +qwen2moe.*chat template: yes")
add_test(NAME demo-model-perplexity COMMAND moescope-cli perplexity "${_moe_demo}/moescope-demo-q8_0.gguf"
  "${_moe_demo}/demo-heldout.txt" --second-half --parse-special)
set_tests_properties(demo-model-perplexity PROPERTIES LABELS model
  PASS_REGULAR_EXPRESSION "perplexity (22\\.(1[4-9]|[2-9][0-9])|23\\.0[0-5])[0-9]* over 6630 predicted tokens")
# Greedy ids of "What is a lantern?" in the model's chat template; the text is the PyTorch
# model's own greedy answer ("A bathy is a person who is a person who is not in a particular purpose.").
add_test(NAME demo-model-greedy-reply COMMAND moescope-cli run "${_moe_demo}/moescope-demo-q8_0.gguf"
  -p "What is a lantern?" --chat -n 24 --temp 0 --ids)
set_tests_properties(demo-model-greedy-reply PROPERTIES LABELS model
  PASS_REGULAR_EXPRESSION "65 283 637 121 293 256 780 554 293 256 780 554 293 416 306 256 2165 2529 46\n")
add_test(NAME demo-model-seeded-reply COMMAND sh -c
  "a=$($<TARGET_FILE:moescope-cli> run ${_moe_demo}/moescope-demo-q8_0.gguf -p 'What is a river?' --chat -n 16 --temp 0.8 --seed 42 --ids 2>/dev/null) && b=$($<TARGET_FILE:moescope-cli> run ${_moe_demo}/moescope-demo-q8_0.gguf -p 'What is a river?' --chat -n 16 --temp 0.8 --seed 42 --ids -t 1 2>/dev/null) && [ -n \"$a\" ] && [ \"$a\" = \"$b\" ]")
set_tests_properties(demo-model-seeded-reply PROPERTIES LABELS model)
# Issue #6's targets on the trained model with the recommended expert-cache configuration.
add_test(NAME demo-model-cache-targets COMMAND ${CMAKE_COMMAND} -DCLI=$<TARGET_FILE:moescope-cli>
  -DMODEL=${_moe_demo}/moescope-demo-q8_0.gguf -DTEXT=${_moe_demo}/demo-heldout.txt
  -P ${CMAKE_CURRENT_SOURCE_DIR}/scripts/check-cache-sim-targets.cmake)
set_tests_properties(demo-model-cache-targets PROPERTIES LABELS model)
