# Runs `moescope-cli cache-sim --json` with the recommended configuration on the trained demo
# model and checks issue #6's quality targets at half the experts per layer: hit rate at least
# 80% and perplexity at most 1% above exact routing. Also checks that the chat transcript's
# control tokens were parsed (the exact perplexity is then near the model card's ~23, not the
# ~1200 of reading <|im_start|> as plain text).
# Arguments: -DCLI=... -DMODEL=... -DTEXT=...
execute_process(COMMAND "${CLI}" cache-sim "${MODEL}" "${TEXT}" --parse-special --max-tokens 2048 -t 2 --json
  OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "cache-sim failed (${rc}): ${err}")
endif()
string(JSON budget GET "${out}" budget_experts_per_layer)
string(JSON hit GET "${out}" hit_rate)
string(JSON change GET "${out}" ppl_change)
string(JSON exact GET "${out}" ppl_exact)
message(STATUS "budget ${budget}/layer: hit rate ${hit}, perplexity change ${change}, exact perplexity ${exact}")
if(NOT budget EQUAL 4)
  message(FATAL_ERROR "the recommended budget for 8 experts should be 4 per layer, got ${budget}")
endif()
if(hit LESS 0.80)
  message(FATAL_ERROR "hit rate ${hit} is below the 0.80 target")
endif()
if(change GREATER 0.01)
  message(FATAL_ERROR "perplexity change ${change} is above the +1% target")
endif()
if(exact GREATER 40 OR exact LESS 10)
  message(FATAL_ERROR "exact perplexity ${exact} is not the demo model's: were control tokens parsed?")
endif()
