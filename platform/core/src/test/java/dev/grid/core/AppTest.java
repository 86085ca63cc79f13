package dev.grid.core;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class AppTest {
    @ParameterizedTest
    @ValueSource(strings = {"a", "myapp", "my-app-2", "abcdefghijabcdefghijabcdefghij"})
    void acceptsDnsFriendlyNames(String name) {
        assertNull(App.nameProblem(name));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "My-App", "1app", "app-", "my_app", "a.b", "abcdefghijabcdefghijabcdefghijk", "../x"})
    void rejectsOthersWithAReason(String name) {
        assertNotNull(App.nameProblem(name));
    }
}
