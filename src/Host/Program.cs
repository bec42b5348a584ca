// Entry point of the pluginmoe CLI (the commands arrive with issue #4).
return 0;
