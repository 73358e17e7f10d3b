# moescope-cli render-template: exact output, the model form, and a template that raises.
set(_rt_data "${CMAKE_CURRENT_SOURCE_DIR}/data")
set(_rt_templates "${MOESCOPE_SHARED_DIR}/conformance/templates")

add_test(NAME cli-render-template-file
  COMMAND moescope-cli render-template --template "${_rt_templates}/Qwen-Qwen2.5-7B-Instruct.jinja"
          --messages "${_rt_data}/render-template-chat.json" --add-generation-prompt)
set_tests_properties(cli-render-template-file PROPERTIES LABELS unit PASS_REGULAR_EXPRESSION
  "^<\\|im_start\\|>system\nBe brief\\.<\\|im_end\\|>\n<\\|im_start\\|>user\nHi \"there\"\n  ok<\\|im_end\\|>\n<\\|im_start\\|>assistant\n$")

add_test(NAME cli-render-template-model
  COMMAND moescope-cli render-template "${MOESCOPE_SHARED_DIR}/conformance/models/qwen3-q8_0.gguf"
          --messages "${_rt_data}/render-template-chat.json")
set_tests_properties(cli-render-template-model PROPERTIES LABELS unit PASS_REGULAR_EXPRESSION
  "^<\\|im_start\\|>system\nBe brief\\.<\\|im_end\\|>\n<\\|im_start\\|>user\nHi \"there\"\n  ok<\\|im_end\\|>\n$")

add_test(NAME cli-render-template-raise-exit
  COMMAND moescope-cli render-template --template "${_rt_templates}/mistralai-Mistral-Nemo-Instruct-2407.jinja"
          --messages "${_rt_data}/render-template-assistant-first.json")
set_tests_properties(cli-render-template-raise-exit PROPERTIES LABELS unit WILL_FAIL TRUE)

add_test(NAME cli-render-template-raise-message
  COMMAND moescope-cli render-template --template "${_rt_templates}/mistralai-Mistral-Nemo-Instruct-2407.jinja"
          --messages "${_rt_data}/render-template-assistant-first.json")
set_tests_properties(cli-render-template-raise-message PROPERTIES LABELS unit PASS_REGULAR_EXPRESSION
  "^After the optional system message, conversation roles must alternate user/assistant/user/assistant/\\.\\.\\.\n$")
