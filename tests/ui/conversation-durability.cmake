# Kills a saving process (SIGKILL) many times; the store must always load. The helper saves
# through the real ConversationListModel / ConversationStore.
add_executable(conversation-saver conversation-saver.cpp conversation-durability.hpp)
target_link_libraries(conversation-saver PRIVATE moe_ui moe_warnings moe_sanitize)
moe_add_test(test-ui-conversation-durability SOURCES test-ui-conversation-durability.cpp conversation-durability.hpp
  LIBS moe_ui LABELS ui)
add_dependencies(test-ui-conversation-durability conversation-saver)
target_compile_definitions(test-ui-conversation-durability PRIVATE MOE_SAVER_PATH="$<TARGET_FILE:conversation-saver>")
